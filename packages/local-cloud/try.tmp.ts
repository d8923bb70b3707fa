import { Engine } from "./src/engine";
import { allEmulators } from "./src/emulators";
const e = await Engine.listen({ emulators: { sqs: allEmulators().sqs, cloudwatch: allEmulators().cloudwatch }, port: 4599 });
await e.provision([]);
console.log(e.endpoint);
setTimeout(() => { void e.close(); }, 60000);

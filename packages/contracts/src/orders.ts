// Order event contracts and the publisher client land with the orders service.
export {};

"""AWS and HTTP adapters: the only code that knows a DynamoDB attribute name, an SQS call or a
gateway's JSON."""

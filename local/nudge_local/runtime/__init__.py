"""The local runtime: template.yaml read, each Lambda run in-process on the simulated clock, the gateway of
API Gateway emulated, IAM enforced, the pumps (SQS event sources, EventBridge Scheduler) and the two local
stores."""

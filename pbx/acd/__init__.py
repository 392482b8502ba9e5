"""The ACD: agents, queues, routing and agent state (channel-agnostic), and provisioning."""

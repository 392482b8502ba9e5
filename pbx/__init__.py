"""The ARI controller: Asterisk provisioning, the ARI/AMI clients, calls, IVR and queues."""

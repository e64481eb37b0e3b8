"""Local stand-ins for the cloud services the provisioner talks to, held to their real contracts."""

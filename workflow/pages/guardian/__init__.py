"""The guardian's workspace: the queue, a case, the workload."""

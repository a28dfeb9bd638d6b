"""The server-rendered pages of workflow/: reporter/ (raise, receipt, my concerns,
conversation) and guardian/ (queue, case, workload), each with its views, forms and urls."""

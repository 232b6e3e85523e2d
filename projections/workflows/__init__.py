"""Read models of workflow templates and instances."""

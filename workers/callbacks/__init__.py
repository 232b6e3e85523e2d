"""The callback sender: delivers due callback deliveries, one signed POST per try."""

"""The pull dispatcher: takes queued tasks off the bus, claims them and runs them."""

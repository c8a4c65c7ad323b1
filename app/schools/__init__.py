"""What school coordinators do: register schools and classes, find partners, agree exchanges and schedule them."""

"""The demo: provision the example organizations on the local sandbox and sign users in."""

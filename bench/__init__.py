"""`make bench` and `make loadtest`: what each flow costs the server, measured on this machine."""

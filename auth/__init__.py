"""The two login flows (server-side session, stateless JWT) and what they share."""

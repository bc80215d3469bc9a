"""What every flow and lab shares: the Redis connection, users, API errors, i18n, limits, trace."""

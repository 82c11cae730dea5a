"""One API convention for every service: envelopes, RFC 9457 errors, pagination, throttling."""

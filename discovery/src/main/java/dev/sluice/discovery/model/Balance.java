package dev.sluice.discovery.model;

/** How a connection picks among the endpoints of a service port. */
public enum Balance {
    /** Each new connection goes to the next endpoint in turn. */
    ROUND_ROBIN,
    /** Each new connection goes to the endpoint with the fewest active connections. */
    LEAST_CONNECTIONS
}

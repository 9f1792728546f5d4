package dev.sluice.discovery.model;

/** The transport protocols Sluice proxies. SCTP is reported and skipped by translation. */
public enum Protocol {
    TCP,
    UDP
}

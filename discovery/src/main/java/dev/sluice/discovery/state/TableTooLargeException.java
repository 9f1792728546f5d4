package dev.sluice.discovery.state;

/** A table was refused because its new service ports would not fit in the heap; the message says the sizes in one line. */
public final class TableTooLargeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TableTooLargeException(String message) {
        super(message);
    }
}

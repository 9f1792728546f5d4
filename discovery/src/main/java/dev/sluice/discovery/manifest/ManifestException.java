package dev.sluice.discovery.manifest;

/**
 * A manifest that cannot be read. The message names the file, the document (1-based, and the
 * item of a {@code List}) and what was expected, in one line.
 */
public final class ManifestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}

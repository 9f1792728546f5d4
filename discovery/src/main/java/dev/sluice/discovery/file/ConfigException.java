package dev.sluice.discovery.file;

/**
 * A static config file that cannot be used, with where and why. The message follows the
 * convention {@code FILE:LINE:COL: field.path: value (expected: ...)}; problems that have no place
 * in the text (an unreadable file) leave out line and column. The {@link #reason()} is a short,
 * stable token for metrics, such as {@code invalid-port} or {@code parse-error}.
 */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final int column;
    private final String field;
    private final String reason;

    ConfigException(String source, int line, int column, String field, String detail, String reason) {
        super(format(source, line, column, field, detail));
        this.source = source;
        this.line = line;
        this.column = column;
        this.field = field;
        this.reason = reason;
    }

    private static String format(String source, int line, int column, String field, String detail) {
        String where = line > 0 ? source + ":" + line + ":" + column : source;
        return where + ": " + field + ": " + detail;
    }

    /** The file (or other source) that was being read. */
    public String source() {
        return source;
    }

    /** The 1-based line of the problem, or 0 when it has no place in the text. */
    public int line() {
        return line;
    }

    /** The 1-based column of the problem, or 0 when it has no place in the text. */
    public int column() {
        return column;
    }

    /** The path of the offending field, e.g. {@code services[1].listen[0]}. */
    public String field() {
        return field;
    }

    /** A short token naming the kind of problem, e.g. {@code duplicate-listen}. */
    public String reason() {
        return reason;
    }
}

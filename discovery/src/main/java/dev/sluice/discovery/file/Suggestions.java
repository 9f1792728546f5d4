package dev.sluice.discovery.file;

import java.util.List;
import java.util.Locale;

/** Finds the known key a misspelt one was probably meant to be, for "did you mean" hints. */
final class Suggestions {
    /** Farther than this many edits, a guess is more confusing than helpful. */
    private static final int MAX_EDITS = 2;

    private Suggestions() {
    }

    /** The known word closest to {@code word}, or {@code null} when none is close. */
    static String closest(String word, List<String> known) {
        String best = null;
        int bestDistance = MAX_EDITS + 1;
        String lower = word.toLowerCase(Locale.ROOT);
        for (String candidate : known) {
            int distance = distance(lower, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Levenshtein distance with two rolling rows. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}

package dev.sluice.discovery.model;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * An immutable hash map whose updates return a new map sharing every untouched node with the
 * old one: a hash array mapped trie. {@link #put} and {@link #remove} copy one path of at most
 * seven small nodes (O(log32 n)); {@link #get} walks that path and allocates nothing.
 *
 * <p>Implementation notes. Each level consumes five bits of the key's hash. A node keeps its
 * inline entries and its child nodes in one array, selected by two 32-bit maps (one bit per
 * hash slot): entries first as key/value pairs, children after them. The trie is kept
 * canonical: a child always holds at least two entries, so a removal that leaves one entry in
 * a child pulls that entry up into the parent, and removing every key gives back the empty
 * map. Keys whose full 32-bit hashes are equal share a collision node below the last level.
 * Keys and values must not be {@code null}.
 */
final class PersistentMap<K, V> {
    private static final int BITS = 5;
    private static final int SLOT_MASK = (1 << BITS) - 1;
    /** Seven bitmap levels cover 32 bits of hash; the eighth is a collision node. */
    private static final int MAX_DEPTH = 8;
    private static final Node EMPTY_NODE = new BitmapNode(0, 0, new Object[0]);
    private static final PersistentMap<?, ?> EMPTY = new PersistentMap<>(EMPTY_NODE, 0);

    private final Node root;
    private final int size;

    private PersistentMap(Node root, int size) {
        this.root = root;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    static <K, V> PersistentMap<K, V> empty() {
        return (PersistentMap<K, V>) EMPTY;
    }

    int size() {
        return size;
    }

    /** The value for {@code key}, or {@code null}. */
    @SuppressWarnings("unchecked")
    V get(Object key) {
        return (V) root.find(key, key.hashCode(), 0);
    }

    /** This map with {@code key} bound to {@code value}; this very map when it already was. */
    PersistentMap<K, V> put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        int[] sizeDelta = new int[1];
        Node next = root.put(key, value, key.hashCode(), 0, sizeDelta);
        return next == root ? this : new PersistentMap<>(next, size + sizeDelta[0]);
    }

    /** This map without {@code key}; this very map when the key was absent. */
    PersistentMap<K, V> remove(Object key) {
        Node next = root.remove(key, key.hashCode(), 0);
        if (next == root) {
            return this;
        }
        return size == 1 ? empty() : new PersistentMap<>(next, size - 1);
    }

    /** Every value, in trie order. */
    Iterator<V> values() {
        return new ValueIterator<>(root);
    }

    /** A trie node: either a bitmap-indexed node or a collision node. */
    private abstract static class Node {
        abstract Object find(Object key, int hash, int shift);

        abstract Node put(Object key, Object value, int hash, int shift, int[] sizeDelta);

        /** The node without the key, or this very node when the key is absent. */
        abstract Node remove(Object key, int hash, int shift);

        abstract int entryCount();

        abstract Object keyAt(int index);

        abstract Object valueAt(int index);

        abstract int childCount();

        abstract Node childAt(int index);

        /** Whether the node holds one entry and no child, so its parent should inline it. */
        final boolean isSingleton() {
            return entryCount() == 1 && childCount() == 0;
        }
    }

    private static final class BitmapNode extends Node {
        private final int entryMap;
        private final int childMap;
        /** Entries as key/value pairs first, then children; both in slot order. */
        private final Object[] slots;

        BitmapNode(int entryMap, int childMap, Object[] slots) {
            this.entryMap = entryMap;
            this.childMap = childMap;
            this.slots = slots;
        }

        private static int bit(int hash, int shift) {
            return 1 << ((hash >>> shift) & SLOT_MASK);
        }

        private static int rank(int map, int bit) {
            return Integer.bitCount(map & (bit - 1));
        }

        private int childIndex(int bit) {
            return 2 * Integer.bitCount(entryMap) + rank(childMap, bit);
        }

        @Override
        Object find(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((entryMap & bit) != 0) {
                int i = 2 * rank(entryMap, bit);
                return key.equals(slots[i]) ? slots[i + 1] : null;
            }
            if ((childMap & bit) != 0) {
                return ((Node) slots[childIndex(bit)]).find(key, hash, shift + BITS);
            }
            return null;
        }

        @Override
        Node put(Object key, Object value, int hash, int shift, int[] sizeDelta) {
            int bit = bit(hash, shift);
            if ((entryMap & bit) != 0) {
                int i = 2 * rank(entryMap, bit);
                Object existingKey = slots[i];
                if (key.equals(existingKey)) {
                    if (slots[i + 1] == value) {
                        return this;
                    }
                    Object[] copy = slots.clone();
                    copy[i + 1] = value;
                    return new BitmapNode(entryMap, childMap, copy);
                }
                sizeDelta[0] = 1;
                Node child = pair(existingKey, slots[i + 1], existingKey.hashCode(), key, value, hash, shift + BITS);
                return entryToChild(bit, i, child);
            }
            if ((childMap & bit) != 0) {
                int c = childIndex(bit);
                Node child = (Node) slots[c];
                Node nextChild = child.put(key, value, hash, shift + BITS, sizeDelta);
                if (nextChild == child) {
                    return this;
                }
                Object[] copy = slots.clone();
                copy[c] = nextChild;
                return new BitmapNode(entryMap, childMap, copy);
            }
            sizeDelta[0] = 1;
            int i = 2 * rank(entryMap, bit);
            Object[] copy = new Object[slots.length + 2];
            System.arraycopy(slots, 0, copy, 0, i);
            copy[i] = key;
            copy[i + 1] = value;
            System.arraycopy(slots, i, copy, i + 2, slots.length - i);
            return new BitmapNode(entryMap | bit, childMap, copy);
        }

        @Override
        Node remove(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((entryMap & bit) != 0) {
                int i = 2 * rank(entryMap, bit);
                if (!key.equals(slots[i])) {
                    return this;
                }
                Object[] copy = new Object[slots.length - 2];
                System.arraycopy(slots, 0, copy, 0, i);
                System.arraycopy(slots, i + 2, copy, i, slots.length - i - 2);
                return new BitmapNode(entryMap & ~bit, childMap, copy);
            }
            if ((childMap & bit) != 0) {
                int c = childIndex(bit);
                Node child = (Node) slots[c];
                Node nextChild = child.remove(key, hash, shift + BITS);
                if (nextChild == child) {
                    return this;
                }
                if (nextChild.isSingleton()) {
                    return childToEntry(bit, c, nextChild.keyAt(0), nextChild.valueAt(0));
                }
                Object[] copy = slots.clone();
                copy[c] = nextChild;
                return new BitmapNode(entryMap, childMap, copy);
            }
            return this;
        }

        /** Replaces the entry at {@code i} with a child node holding it and a new entry. */
        private Node entryToChild(int bit, int i, Node child) {
            Object[] copy = new Object[slots.length - 1];
            int c = childIndex(bit) - 2;
            System.arraycopy(slots, 0, copy, 0, i);
            System.arraycopy(slots, i + 2, copy, i, c - i);
            copy[c] = child;
            System.arraycopy(slots, c + 2, copy, c + 1, slots.length - c - 2);
            return new BitmapNode(entryMap & ~bit, childMap | bit, copy);
        }

        /** Replaces the child at {@code c} with its last remaining entry. */
        private Node childToEntry(int bit, int c, Object key, Object value) {
            Object[] copy = new Object[slots.length + 1];
            int i = 2 * rank(entryMap, bit);
            System.arraycopy(slots, 0, copy, 0, i);
            copy[i] = key;
            copy[i + 1] = value;
            System.arraycopy(slots, i, copy, i + 2, c - i);
            System.arraycopy(slots, c + 1, copy, c + 2, slots.length - c - 1);
            return new BitmapNode(entryMap | bit, childMap & ~bit, copy);
        }

        @Override
        int entryCount() {
            return Integer.bitCount(entryMap);
        }

        @Override
        Object keyAt(int index) {
            return slots[2 * index];
        }

        @Override
        Object valueAt(int index) {
            return slots[2 * index + 1];
        }

        @Override
        int childCount() {
            return Integer.bitCount(childMap);
        }

        @Override
        Node childAt(int index) {
            return (Node) slots[2 * entryCount() + index];
        }
    }

    /** The node holding two distinct keys, starting at {@code shift}. */
    private static Node pair(Object k1, Object v1, int h1, Object k2, Object v2, int h2, int shift) {
        if (shift >= Integer.SIZE) {
            return new CollisionNode(new Object[] {k1, k2}, new Object[] {v1, v2});
        }
        int s1 = (h1 >>> shift) & SLOT_MASK;
        int s2 = (h2 >>> shift) & SLOT_MASK;
        if (s1 == s2) {
            return new BitmapNode(0, 1 << s1, new Object[] {pair(k1, v1, h1, k2, v2, h2, shift + BITS)});
        }
        Object[] slots = s1 < s2 ? new Object[] {k1, v1, k2, v2} : new Object[] {k2, v2, k1, v1};
        return new BitmapNode(1 << s1 | 1 << s2, 0, slots);
    }

    /** Keys whose 32-bit hashes are all equal, in insertion order. */
    private static final class CollisionNode extends Node {
        private final Object[] keys;
        private final Object[] values;

        CollisionNode(Object[] keys, Object[] values) {
            this.keys = keys;
            this.values = values;
        }

        private int indexOf(Object key) {
            for (int i = 0; i < keys.length; i++) {
                if (key.equals(keys[i])) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        Object find(Object key, int hash, int shift) {
            int i = indexOf(key);
            return i < 0 ? null : values[i];
        }

        @Override
        Node put(Object key, Object value, int hash, int shift, int[] sizeDelta) {
            int i = indexOf(key);
            if (i >= 0) {
                if (values[i] == value) {
                    return this;
                }
                Object[] nextValues = values.clone();
                nextValues[i] = value;
                return new CollisionNode(keys, nextValues);
            }
            sizeDelta[0] = 1;
            Object[] nextKeys = Arrays.copyOf(keys, keys.length + 1);
            Object[] nextValues = Arrays.copyOf(values, values.length + 1);
            nextKeys[keys.length] = key;
            nextValues[values.length] = value;
            return new CollisionNode(nextKeys, nextValues);
        }

        @Override
        Node remove(Object key, int hash, int shift) {
            int i = indexOf(key);
            if (i < 0) {
                return this;
            }
            Object[] nextKeys = new Object[keys.length - 1];
            Object[] nextValues = new Object[values.length - 1];
            System.arraycopy(keys, 0, nextKeys, 0, i);
            System.arraycopy(keys, i + 1, nextKeys, i, keys.length - i - 1);
            System.arraycopy(values, 0, nextValues, 0, i);
            System.arraycopy(values, i + 1, nextValues, i, values.length - i - 1);
            return new CollisionNode(nextKeys, nextValues);
        }

        @Override
        int entryCount() {
            return keys.length;
        }

        @Override
        Object keyAt(int index) {
            return keys[index];
        }

        @Override
        Object valueAt(int index) {
            return values[index];
        }

        @Override
        int childCount() {
            return 0;
        }

        @Override
        Node childAt(int index) {
            throw new IndexOutOfBoundsException(index);
        }
    }

    /** Depth-first walk: a node's own entries, then its children. */
    private static final class ValueIterator<V> implements Iterator<V> {
        private final Node[] nodes = new Node[MAX_DEPTH];
        private final int[] nextEntry = new int[MAX_DEPTH];
        private final int[] nextChild = new int[MAX_DEPTH];
        private int depth;

        ValueIterator(Node root) {
            nodes[0] = root;
        }

        @Override
        public boolean hasNext() {
            while (depth >= 0) {
                Node node = nodes[depth];
                if (nextEntry[depth] < node.entryCount()) {
                    return true;
                }
                if (nextChild[depth] < node.childCount()) {
                    Node child = node.childAt(nextChild[depth]++);
                    depth++;
                    nodes[depth] = child;
                    nextEntry[depth] = 0;
                    nextChild[depth] = 0;
                } else {
                    nodes[depth--] = null;
                }
            }
            return false;
        }

        @Override
        @SuppressWarnings("unchecked")
        public V next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return (V) nodes[depth].valueAt(nextEntry[depth]++);
        }
    }
}

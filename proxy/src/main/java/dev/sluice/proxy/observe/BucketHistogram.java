package dev.sluice.proxy.observe;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram with fixed bucket bounds, registered straight into the Prometheus
 * registry under Micrometer. Micrometer's own histograms cannot carry kube-proxy's bucket at 0 and
 * add a {@code _max} family kube-proxy does not have; this keeps the exposition identical.
 * Observations are lock-free; a scrape may see a bucket and the sum a few observations apart.
 */
final class BucketHistogram implements Collector {
    private final String name;
    private final String help;
    /** Upper bounds, ascending, the last one +Inf. */
    private final double[] bounds;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();

    BucketHistogram(String name, String help, double[] upperBounds) {
        for (int i = 1; i < upperBounds.length; i++) {
            if (!(upperBounds[i] > upperBounds[i - 1])) {
                throw new IllegalArgumentException("upperBounds: " + Arrays.toString(upperBounds) + " (expected: strictly ascending)");
            }
        }
        this.name = name;
        this.help = help;
        this.bounds = Arrays.copyOf(upperBounds, upperBounds.length + 1);
        this.bounds[upperBounds.length] = Double.POSITIVE_INFINITY;
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** {@code count} bounds from {@code start}, each {@code factor} times the previous. */
    static double[] exponential(double start, double factor, int count) {
        double[] out = new double[count];
        double bound = start;
        for (int i = 0; i < count; i++) {
            out[i] = bound;
            bound *= factor;
        }
        return out;
    }

    /** {@code count} bounds from {@code start}, {@code width} apart. */
    static double[] linear(double start, double width, int count) {
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            out[i] = start + i * width;
        }
        return out;
    }

    /** Records one value; a bucket counts values less than or equal to its bound. */
    void observe(double value) {
        int at = Double.isNaN(value) ? bounds.length - 1 : Arrays.binarySearch(bounds, value);
        counts[at >= 0 ? at : -at - 1].increment();
        sum.add(value);
    }

    @Override
    public MetricSnapshot collect() {
        long[] snapshot = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            snapshot[i] = counts[i].sum();
        }
        return HistogramSnapshot.builder()
                .name(name)
                .help(help)
                .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, snapshot))
                        .sum(sum.sum())
                        .build())
                .build();
    }

    /** Declares the family, so the registry refuses a second collector of the same name. */
    @Override
    public MetricFamilyDescriptor getMetricFamilyDescriptor() {
        return MetricFamilyDescriptor.histogram(name).help(help).build();
    }
}

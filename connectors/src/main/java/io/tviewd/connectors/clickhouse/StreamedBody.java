package io.tviewd.connectors.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A request body handed over while it is written: the writer fills blocks of {@value #BLOCK} bytes, the HTTP client
 * sends each as soon as it is full, so ClickHouse parses rows while later ones are still being made. At most
 * {@value #BLOCKS} blocks wait, so memory stays bounded whatever the body's size.
 *
 * <p>When the request ends before the writer does (ClickHouse answered an error without reading everything, or the
 * connection dropped), the writer's next hand-over fails with an {@link Abandoned} instead of waiting forever. When the
 * writer fails, {@link #abort} makes the body end with an error: the client then drops the connection mid-body, and
 * ClickHouse, which stores a block of rows only once its body ended, stores none of them.
 */
final class StreamedBody {

    static final int BLOCK = 256 * 1024;
    static final int BLOCKS = 8;

    private static final byte[] END = new byte[0];
    private static final byte[] FAILED = new byte[0];

    /** The request stopped taking the body. */
    static final class Abandoned extends IOException {
        Abandoned() {
            super("the request ended before its body was written");
        }
    }

    private final BlockingQueue<byte[]> blocks = new ArrayBlockingQueue<>(BLOCKS);
    private volatile Future<?> request;

    /** The request that reads this body: while it runs, a full queue is waited on; once it ended, writing stops. */
    void readBy(Future<?> request) {
        this.request = request;
    }

    private byte[] block = new byte[BLOCK];
    private int used;
    private long written;

    /** Bytes handed over so far (all of the body once {@link #end} returned). */
    long written() {
        return written;
    }

    /** The writer's side (its {@code close} does nothing: {@link #end} ends the body, {@link #abort} drops it). */
    OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                if (used == block.length) {
                    handOver();
                }
                block[used++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (used == block.length) {
                        handOver();
                    }
                    int n = Math.min(len, block.length - used);
                    System.arraycopy(b, off, block, used, n);
                    used += n;
                    off += n;
                    len -= n;
                }
            }
        };
    }

    private void handOver() throws IOException {
        put(block);
        block = new byte[BLOCK];
        used = 0;
    }

    /** Ends the body: the last block, then its end. */
    void end() throws IOException {
        if (used > 0) {
            put(java.util.Arrays.copyOf(block, used));
            used = 0;
        }
        put(END);
    }

    /** Ends the body with an error (the writer failed): what was sent is not stored. */
    void abort() {
        blocks.clear();
        blocks.offer(FAILED);
    }

    private void put(byte[] b) throws IOException {
        written += b.length;
        try {
            while (!blocks.offer(b, 50, TimeUnit.MILLISECONDS)) {
                Future<?> r = request;
                if (r != null && r.isDone()) {
                    throw new Abandoned();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing a request body over");
        }
    }

    /** The client's side, read on the client's threads. */
    InputStream input() {
        return new InputStream() {
            private byte[] block = new byte[0];
            private int read;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (true) {
                    if (block == FAILED) {
                        throw new IOException("the request body was abandoned by its writer");
                    }
                    if (block == END) {
                        return -1;
                    }
                    if (read < block.length) {
                        break;
                    }
                    try {
                        block = blocks.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading a request body");
                    }
                    read = 0;
                }
                int n = Math.min(len, block.length - read);
                System.arraycopy(block, read, b, off, n);
                read += n;
                return n;
            }
        };
    }
}

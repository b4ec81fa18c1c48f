package io.tviewd.connectors;

/**
 * Receives batches from a {@link ChangeSource}. Called on the source's own thread, one batch at a time.
 * When {@link #handle} returns normally, everything the batch implies is durable (committed), and
 * the source may advance its stored position past it. Throwing stops the source.
 */
@FunctionalInterface
public interface ChangeHandler {
    void handle(ChangeBatch batch) throws Exception;
}

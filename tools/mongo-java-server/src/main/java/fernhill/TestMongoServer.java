package fernhill;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The second test database: mongo-java-server's in-memory backend on 127.0.0.1 only.
 *
 * <pre>java -Xmx256m -jar test-mongo-server.jar [PORT]   (default 27118)</pre>
 *
 * Three things differ from the library's defaults:
 * <ul>
 *   <li>it reports MongoDB 4.4.0 with wire version 9. The library's newest setting, MONGO_5_0, says
 *       wire version 8, and the Node driver 7 (mongoose 9) refuses servers below 9. The version is only
 *       reported (ismaster/buildInfo/serverStatus): it turns no feature of the library on or off.</li>
 *   <li>it answers {@code hello} (the library only knows {@code ismaster}): drivers still shake hands
 *       with {@code ismaster}, since no {@code helloOk} is sent back, but tools and tests that ask
 *       {@code hello} directly get the same answer in the new shape.</li>
 *   <li>{@code find}, {@code getMore} and {@code findAndModify} answer with a copy of the documents taken
 *       under the collection's lock. The library answers with its stored documents themselves, which it
 *       updates in place, and encodes them after the lock is released: 50 parallel
 *       {@code findOneAndUpdate({$inc: {n: 1}}, {returnDocument: 'after'})} then returned one value of
 *       n twice (and a find can see a document halfway through an update). {@code aggregate} is left
 *       as it is: a {@code $lookup} would take a second collection's lock inside the first's.</li>
 * </ul>
 * Everything stays in memory and is gone when the process ends. SIGTERM closes the clients and stops.
 */
public final class TestMongoServer {

    static final int DEFAULT_PORT = 27118;

    /** MongoDB 4.4: wire version 9. */
    static final MongoVersion MONGO_4_4 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    /** Commands whose answer is copied under the collection's lock (lower case). */
    private static final Set<String> READS_OF_ONE_COLLECTION = Set.of("find", "getmore", "findandmodify");

    /** The memory backend, plus {@code hello} and reads that cannot see a write halfway. */
    static final class Backend extends MemoryBackend {
        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            String name = command.toLowerCase(Locale.ROOT);
            if (name.equals("hello")) {
                Document response = super.handleCommand(channel, databaseName, "ismaster", query);
                response.remove("ismaster");
                Document hello = new Document("isWritablePrimary", Boolean.TRUE);
                hello.putAll(response);
                return hello;
            }
            if (READS_OF_ONE_COLLECTION.contains(name) && !databaseName.equals("admin")) {
                Object collectionName = query.get(name.equals("getmore") ? "collection" : command);
                if (collectionName instanceof String && !((String) collectionName).startsWith("system.")) {
                    MongoCollection<?> collection = resolveDatabase(databaseName)
                        .resolveCollection((String) collectionName, false);
                    if (collection != null) {
                        // The monitor that the library's synchronized collection methods hold.
                        synchronized (collection) {
                            return super.handleCommand(channel, databaseName, command, query).cloneDeeply();
                        }
                    }
                }
            }
            return super.handleCommand(channel, databaseName, command, query);
        }
    }

    private TestMongoServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = DEFAULT_PORT;
        if (args.length > 0) {
            try {
                port = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                System.err.println("test-mongo-server: the port must be a number from 1 to 65535, not '" + args[0] + "'");
                System.exit(2);
            }
        }

        Backend backend = new Backend();
        backend.version(MONGO_4_4);
        MongoServer server = new MongoServer(backend);
        try {
            server.bind("127.0.0.1", port);
        } catch (RuntimeException e) {
            System.err.println("test-mongo-server: cannot listen on 127.0.0.1:" + port + ": " + e);
            System.exit(1);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // shutdownNow: close the connected clients too (plain shutdown() waits for them to leave).
            server.shutdownNow();
            stopped.countDown();
        }, "test-mongo-server-shutdown"));

        System.err.println("test-mongo-server: MongoDB " + MONGO_4_4.toVersionString() + " (wire version "
            + MONGO_4_4.getWireVersion() + ", mongo-java-server memory backend) on 127.0.0.1:" + port);
        stopped.await();
    }
}

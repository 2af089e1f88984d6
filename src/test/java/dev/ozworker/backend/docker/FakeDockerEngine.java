package dev.ozworker.backend.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.WaitResponse;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

/**
 * An in-memory Docker engine, for the Docker backend's tests without a daemon: its containers here,
 * its {@link FakeImages images} (and a registry to pull from) and {@link FakeVolumes volumes}
 * beside, each command recorded in order. Its answers are the Engine API's JSON read by
 * docker-java's own model classes ({@link EngineJson}), and its client ({@link #client()}, see
 * {@link FakeDockerClient}) builds docker-java's own commands, so the backend sees what a real
 * client would give it. A container does only what the test tells it ({@link #print}, {@link
 * #exit}); a stop ends it as SIGTERM would. Streams (pull, logs, wait) reach the backend's
 * callbacks on the thread that causes them, outside the engine's lock.
 */
final class FakeDockerEngine {
  static final String PLATFORM = "linux/amd64";

  /** A container as the engine keeps it: what it was created with, and its state. */
  static final class Container {
    final String id;
    final FakeDockerClient.Created spec;
    final long created;
    String status = "created";
    long exitCode;
    boolean oomKilled;
    final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final List<ResultCallback<Frame>> followers = new ArrayList<>();
    final List<ResultCallback<WaitResponse>> waiters = new ArrayList<>();

    Container(String id, FakeDockerClient.Created spec, long created) {
      this.id = id;
      this.spec = spec;
      this.created = created;
    }
  }

  final FakeImages images = new FakeImages(this);
  final FakeVolumes volumes = new FakeVolumes(this);
  private final Map<String, Container> containers = new LinkedHashMap<>();
  private final Map<String, Queue<RuntimeException>> failures = new HashMap<>();
  private final List<String> calls = new ArrayList<>();
  private int nextId;

  /** The client the backend is given. */
  DockerClient client() {
    return FakeDockerClient.of(this);
  }

  /** The next {@code command} (as recorded, e.g. {@code start}) fails with {@code failure}. */
  synchronized void failNext(String command, RuntimeException failure) {
    failures.computeIfAbsent(command, c -> new ArrayDeque<>()).add(failure);
  }

  /** Every command so far, e.g. {@code create oz-run-1}, in order. */
  synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  /** The commands so far whose name is {@code command}. */
  synchronized List<String> calls(String command) {
    return calls.stream().filter(call -> call.split(" ")[0].equals(command)).toList();
  }

  synchronized Optional<Container> container(String name) {
    return containers.values().stream().filter(c -> c.spec.name().equals(name)).findFirst();
  }

  /** The container is removed behind the backend's back, as {@code docker rm -f} would. */
  void vanish(String name) {
    List<ResultCallback<Frame>> following;
    synchronized (this) {
      Container container = container(name).orElseThrow();
      containers.remove(container.id);
      following = List.copyOf(container.followers);
    }
    following.forEach(ResultCallback::onComplete);
  }

  /** A container made by someone else, e.g. one left from an earlier worker. */
  synchronized Container existing(FakeDockerClient.Created created, String status) {
    Container container = new Container(newId(), created, Instant.now().getEpochSecond());
    container.status = status;
    containers.put(container.id, container);
    return container;
  }

  /** The container writes to its standard output. */
  void print(String name, String text) {
    List<ResultCallback<Frame>> following;
    Frame frame = new Frame(StreamType.STDOUT, text.getBytes());
    synchronized (this) {
      Container container = container(name).orElseThrow();
      container.output.writeBytes(frame.getPayload());
      following = List.copyOf(container.followers);
    }
    following.forEach(callback -> callback.onNext(frame));
  }

  /** The container's process ends with {@code exitCode}, the OOM killer having struck or not. */
  void exit(String name, long exitCode, boolean oomKilled) {
    exited(container(name).orElseThrow().id, exitCode, oomKilled);
  }

  // --- the commands, as FakeDockerClient executes them ---

  synchronized String create(FakeDockerClient.Created created) {
    record("create", created.name());
    fail("create");
    if (!images.onEngine(created.image())) {
      throw new NotFoundException("No such image: " + created.image());
    }
    if (created.name() == null) {
      // the engine names a container created without a name
      created = created.named("fake_" + (nextId + 1));
    }
    Optional<Container> clash = container(created.name());
    if (clash.isPresent()) {
      throw new ConflictException(
          "Conflict. The container name \"/"
              + created.name()
              + "\" is already in use by container \""
              + clash.get().id
              + "\". You have to remove (or rename) that container to be able to reuse that name.");
    }
    Container container = new Container(newId(), created, Instant.now().getEpochSecond());
    containers.put(container.id, container);
    return container.id;
  }

  synchronized void start(String id) {
    record("start", id);
    fail("start");
    Container container = find(id);
    if (container.status.equals("running")) {
      throw new NotModifiedException("container " + id + " is already running");
    }
    container.status = "running";
  }

  void stop(String id, Integer timeout) {
    synchronized (this) {
      record("stop", id, String.valueOf(timeout));
      if (!find(id).status.equals("running")) {
        throw new NotModifiedException("container " + id + " is not running");
      }
    }
    exited(id, 143, false);
  }

  synchronized void remove(String id, boolean force) {
    record("remove", id);
    fail("remove");
    Container container = find(id);
    if (container.status.equals("running") && !force) {
      throw new ConflictException("You cannot remove a running container " + id);
    }
    containers.remove(id);
  }

  synchronized String inspectContainer(String id) {
    record("inspectContainer", id);
    Container c = find(id);
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("Status", c.status);
    state.put("Running", c.status.equals("running"));
    state.put("ExitCode", c.exitCode);
    state.put("OOMKilled", c.oomKilled);
    return EngineJson.write(
        Map.of(
            "Id",
            c.id,
            "Name",
            "/" + c.spec.name(),
            "State",
            state,
            "Config",
            Map.of("Image", c.spec.image(), "Labels", c.spec.labels())));
  }

  synchronized String listContainers(Map<String, String> labels, boolean all) {
    record("listContainers", labels.toString());
    List<Map<String, Object>> found = new ArrayList<>();
    for (Container c : containers.values()) {
      if ((all || c.status.equals("running"))
          && c.spec.labels().entrySet().containsAll(labels.entrySet())) {
        found.add(
            Map.of(
                "Id",
                c.id,
                "Names",
                List.of("/" + c.spec.name()),
                "Created",
                c.created,
                "Labels",
                c.spec.labels(),
                "State",
                c.status));
      }
    }
    return EngineJson.write(found);
  }

  void logs(String id, boolean follow, ResultCallback<Frame> callback) {
    Frame past;
    boolean ended;
    synchronized (this) {
      record("logs", id, follow ? "follow" : "once");
      Container container = find(id);
      past = new Frame(StreamType.STDOUT, container.output.toByteArray());
      ended = !follow || !container.status.equals("running");
      if (!ended) {
        container.followers.add(callback);
      }
    }
    callback.onStart(() -> unsubscribe(id, callback));
    if (past.getPayload().length > 0) {
      callback.onNext(past);
    }
    if (ended) {
      callback.onComplete();
    }
  }

  void await(String id, ResultCallback<WaitResponse> callback) {
    Long exited;
    synchronized (this) {
      record("wait", id);
      Container container = find(id);
      exited = container.status.equals("exited") ? container.exitCode : null;
      if (exited == null) {
        container.waiters.add(callback);
      }
    }
    callback.onStart(() -> unsubscribe(id, callback));
    if (exited != null) {
      callback.onNext(waitResponse(exited));
      callback.onComplete();
    }
  }

  /** The container's filesystem as a tar stream: here, the name of its image. */
  synchronized byte[] copyFrom(String id, String path) {
    record("copyFrom", id, path);
    return ("filesystem of " + find(id).spec.image()).getBytes();
  }

  private void exited(String id, long exitCode, boolean oomKilled) {
    List<ResultCallback<Frame>> following;
    List<ResultCallback<WaitResponse>> waiting;
    synchronized (this) {
      Container container = find(id);
      container.status = "exited";
      container.exitCode = exitCode;
      container.oomKilled = oomKilled;
      following = List.copyOf(container.followers);
      waiting = List.copyOf(container.waiters);
      container.followers.clear();
      container.waiters.clear();
    }
    following.forEach(ResultCallback::onComplete);
    waiting.forEach(
        callback -> {
          callback.onNext(waitResponse(exitCode));
          callback.onComplete();
        });
  }

  private synchronized void unsubscribe(String id, Object callback) {
    Container container = containers.get(id);
    if (container != null) {
      container.followers.remove(callback);
      container.waiters.remove(callback);
    }
  }

  private Container find(String idOrName) {
    Container byId = containers.get(idOrName);
    if (byId != null) {
      return byId;
    }
    return container(idOrName)
        .orElseThrow(() -> new NotFoundException("No such container: " + idOrName));
  }

  /** Whether a container mounts the volume. */
  synchronized boolean mounted(String volume) {
    return containers.values().stream()
        .anyMatch(c -> c.spec.binds().stream().anyMatch(bind -> bind.startsWith(volume + ":")));
  }

  /** The binds of a container. */
  synchronized List<String> binds(String containerId) {
    return find(containerId).spec.binds();
  }

  /** Throws the failure queued for {@code command}, if any. */
  synchronized void fail(String command) {
    Queue<RuntimeException> queued = failures.get(command);
    RuntimeException next = queued == null ? null : queued.poll();
    if (next != null) {
      throw next;
    }
  }

  /** Records a command the engine received. */
  synchronized void record(String command, String... args) {
    calls.add(command + " " + String.join(" ", args));
  }

  private String newId() {
    return EngineJson.hex("container " + ++nextId);
  }

  private static WaitResponse waitResponse(long code) {
    return EngineJson.read(EngineJson.write(Map.of("StatusCode", code)), WaitResponse.class);
  }
}

package dev.ozworker.backend.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.WaitResponse;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;

/**
 * An in-memory Docker engine, for the Docker backend's tests without a daemon: images (local, and
 * in a registry to pull from), containers and volumes, each command recorded in order. Its answers
 * are the Engine API's JSON read by docker-java's own model classes, and its client ({@link
 * #client()}, see {@link FakeDockerClient}) builds docker-java's own commands, so the backend sees
 * what a real client would give it. A container does only what the test tells it ({@link #print},
 * {@link #exit}); a stop ends it as SIGTERM would. Streams (pull, logs, wait) reach the backend's
 * callbacks on the thread that causes them, outside the engine's lock.
 */
final class FakeDockerEngine {
  static final String PLATFORM = "linux/amd64";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** A container as the engine keeps it. */
  static final class Container {
    final String id;
    final String name;
    final String image;
    final Map<String, String> labels;
    final List<String> cmd;
    final List<String> env;
    final List<String> binds;
    final Optional<String> networkMode;
    final Optional<Long> memory;
    final long created;
    String status = "created";
    long exitCode;
    boolean oomKilled;
    final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final List<ResultCallback<Frame>> followers = new ArrayList<>();
    final List<ResultCallback<WaitResponse>> waiters = new ArrayList<>();

    Container(String id, FakeDockerClient.Created created, long at) {
      this.id = id;
      this.name = created.name();
      this.image = created.image();
      this.labels = created.labels();
      this.cmd = created.cmd();
      this.env = created.env();
      this.binds = created.binds();
      this.networkMode = created.networkMode();
      this.memory = created.memory();
      this.created = at;
    }
  }

  private record Image(String id, String platform, List<String> repoDigests) {}

  private final Map<String, Image> local = new HashMap<>();
  private final Map<String, Image> registry = new HashMap<>();
  private final Map<String, Container> containers = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> volumes = new LinkedHashMap<>();
  private final Map<String, byte[]> volumeContents = new HashMap<>();
  private final Map<String, Queue<RuntimeException>> failures = new HashMap<>();
  private final List<String> calls = new ArrayList<>();
  private final List<Runnable> heldPulls = new ArrayList<>();
  private boolean holdingPulls;
  private int nextId;

  /** The client the backend is given. */
  DockerClient client() {
    return FakeDockerClient.of(this);
  }

  /** An image already on the engine. */
  synchronized FakeDockerEngine hasImage(String reference, String platform) {
    local.put(reference, new Image("sha256:" + hex(reference), platform, List.of()));
    return this;
  }

  /** An image a pull of {@code reference} brings, with its registry digest. */
  synchronized FakeDockerEngine inRegistry(String reference, String platform) {
    String digest = "sha256:" + hex("registry " + reference);
    registry.put(
        reference,
        new Image(
            "sha256:" + hex(reference),
            platform,
            List.of(ImageName.parse(reference).pullRepository() + "@" + digest)));
    return this;
  }

  /** Pulls wait until {@link #releasePulls()} or until the backend closes them. */
  synchronized void holdPulls() {
    holdingPulls = true;
  }

  void releasePulls() {
    List<Runnable> held;
    synchronized (this) {
      holdingPulls = false;
      held = List.copyOf(heldPulls);
      heldPulls.clear();
    }
    held.forEach(Runnable::run);
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
    return containers.values().stream().filter(c -> c.name.equals(name)).findFirst();
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

  synchronized Map<String, Map<String, String>> volumes() {
    return Map.copyOf(volumes);
  }

  synchronized Optional<byte[]> volumeContents(String volume) {
    return Optional.ofNullable(volumeContents.get(volume));
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

  synchronized String inspectImage(String reference) {
    record("inspectImage", reference);
    Image image = local.get(reference);
    if (image == null) {
      throw new NotFoundException("No such image: " + reference);
    }
    String[] platform = image.platform().split("/");
    return json(
        Map.of(
            "Id",
            image.id(),
            "Os",
            platform[0],
            "Architecture",
            platform[1],
            "RepoDigests",
            image.repoDigests()));
  }

  void pull(
      String repository, String tag, String platform, ResultCallback<PullResponseItem> progress) {
    Runnable finish;
    synchronized (this) {
      record("pull", repository + ":" + tag, platform);
      Optional<Map.Entry<String, Image>> found =
          registry.entrySet().stream()
              .filter(e -> ImageName.parse(e.getKey()).pullRepository().equals(repository))
              .filter(e -> ImageName.parse(e.getKey()).tag().equals(tag))
              .findFirst();
      finish =
          () -> {
            synchronized (this) {
              found.ifPresent(e -> local.put(e.getKey(), e.getValue()));
            }
            progress.onNext(
                found.isPresent()
                    ? item(Map.of("status", "Status: Downloaded newer image"))
                    : item(
                        Map.of(
                            "error",
                            "manifest unknown",
                            "errorDetail",
                            Map.of("message", "manifest unknown"))));
            progress.onComplete();
          };
      progress.onStart(() -> forget(finish));
      if (holdingPulls) {
        heldPulls.add(finish);
        return;
      }
    }
    finish.run();
  }

  synchronized String create(FakeDockerClient.Created created) {
    record("create", created.name());
    fail("create");
    if (!local.containsKey(created.image())) {
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
    return json(
        Map.of(
            "Id",
            c.id,
            "Name",
            "/" + c.name,
            "State",
            state,
            "Config",
            Map.of("Image", c.image, "Labels", c.labels)));
  }

  synchronized String listContainers(Map<String, String> labels, boolean all) {
    record("listContainers", labels.toString());
    List<Map<String, Object>> found = new ArrayList<>();
    for (Container c : containers.values()) {
      if ((all || c.status.equals("running"))
          && c.labels.entrySet().containsAll(labels.entrySet())) {
        found.add(
            Map.of(
                "Id",
                c.id,
                "Names",
                List.of("/" + c.name),
                "Created",
                c.created,
                "Labels",
                c.labels,
                "State",
                c.status));
      }
    }
    return json(found);
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

  synchronized String createVolume(String name, Map<String, String> labels) {
    record("createVolume", name);
    volumes.put(name, Map.copyOf(labels));
    return json(Map.of("Name", name, "Labels", labels, "Driver", "local"));
  }

  synchronized String inspectVolume(String name) {
    record("inspectVolume", name);
    Map<String, String> labels = volumes.get(name);
    if (labels == null) {
      throw new NotFoundException("get " + name + ": no such volume");
    }
    return json(Map.of("Name", name, "Labels", labels, "Driver", "local"));
  }

  synchronized String listVolumes(String label) {
    record("listVolumes", label);
    List<Map<String, Object>> found = new ArrayList<>();
    volumes.forEach(
        (name, labels) -> {
          if (labels.containsKey(label)) {
            found.add(Map.of("Name", name, "Labels", labels, "Driver", "local"));
          }
        });
    return json(Map.of("Volumes", found));
  }

  synchronized void removeVolume(String name) {
    record("removeVolume", name);
    if (!volumes.containsKey(name)) {
      throw new NotFoundException("get " + name + ": no such volume");
    }
    boolean mounted =
        containers.values().stream()
            .anyMatch(c -> c.binds.stream().anyMatch(bind -> bind.startsWith(name + ":")));
    if (mounted) {
      throw new ConflictException("remove " + name + ": volume is in use");
    }
    volumes.remove(name);
    volumeContents.remove(name);
  }

  /** The container's filesystem as a tar stream: here, the name of its image. */
  synchronized byte[] copyFrom(String id, String path) {
    record("copyFrom", id, path);
    return ("filesystem of " + find(id).image).getBytes();
  }

  /** Unpacks into the volume bound at {@code path} in the container. */
  synchronized void copyTo(String id, String path, byte[] tar) {
    record("copyTo", id, path);
    fail("copyTo");
    for (String bind : find(id).binds) {
      String[] parts = bind.split(":");
      if (parts[1].equals(path) && volumes.containsKey(parts[0])) {
        volumeContents.put(parts[0], tar);
        return;
      }
    }
    throw new NotFoundException("no volume is mounted at " + path + " in container " + id);
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

  private synchronized void forget(Runnable pull) {
    heldPulls.remove(pull);
  }

  private Container find(String idOrName) {
    Container byId = containers.get(idOrName);
    if (byId != null) {
      return byId;
    }
    return container(idOrName)
        .orElseThrow(() -> new NotFoundException("No such container: " + idOrName));
  }

  private void fail(String command) {
    Queue<RuntimeException> queued = failures.get(command);
    RuntimeException next = queued == null ? null : queued.poll();
    if (next != null) {
      throw next;
    }
  }

  private void record(String command, String... args) {
    calls.add(command + " " + String.join(" ", args));
  }

  private String newId() {
    return hex("container " + ++nextId);
  }

  private static String hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads the engine's JSON answer as docker-java's {@code type}. */
  static <T> T read(String json, Class<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new DockerException("unreadable answer " + json + ": " + e.getMessage(), 500);
    }
  }

  private static PullResponseItem item(Map<String, Object> fields) {
    return read(json(fields), PullResponseItem.class);
  }

  private static WaitResponse waitResponse(long code) {
    return read(json(Map.of("StatusCode", code)), WaitResponse.class);
  }
}

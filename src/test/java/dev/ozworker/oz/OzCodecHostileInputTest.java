package dev.ozworker.oz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of frames made by mutating valid ones (seeded, so a failure repeats): whatever arrives,
 * the codec answers with a message, an ignored type or a one-line error, and never throws.
 */
class OzCodecHostileInputTest {
  static final long SEED = 20261126L;
  static final int FRAMES = 10_000;
  static final List<String> VALID =
      List.of(
          OzFrames.REFERENCE_ASSIGNMENT,
          "{\"type\":\"task_cancellation\",\"data\":{\"task_id\":\"t1\"}}",
          "{\"type\":\"task_failed\",\"data\":{\"task_id\":\"t1\",\"message\":\"m\","
              + "\"failure_reason\":\"container_oom\",\"exit_code\":137}}",
          "{\"type\":\"task_claimed\",\"data\":{\"task_id\":\"t1\",\"worker_id\":\"w\"}}");
  static final String[] NOISE = {
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "-1",
    "1e999",
    "\\u0000",
    "\\ud800",
    "é",
    "\u2028",
    "$(rm -rf /)",
    "../../etc",
    "\"task_id\":",
    "{\"a\":".repeat(70),
    "\u0000",
    " "
  };

  final OzCodec codec = new OzCodec(64 * 1024);

  @Test
  void answersEveryMutatedFrameWithoutThrowing() {
    Random random = new Random(SEED);
    Map<DecodeError.Kind, Integer> malformed = new EnumMap<>(DecodeError.Kind.class);
    int messages = 0;

    for (int i = 0; i < FRAMES; i++) {
      String frame = mutate(VALID.get(random.nextInt(VALID.size())), random);
      Decoded decoded = codec.decode(frame);

      assertThat(decoded).as("frame %d: %s", i, frame).isNotNull();
      switch (decoded) {
        case Decoded.Message m -> {
          assertThat(m.message().taskId()).isNotBlank();
          messages++;
        }
        case Decoded.Ignored ignored -> assertThat(ignored.type()).isNotNull();
        case Decoded.Malformed m -> {
          assertThat(m.error().describe()).doesNotContain("\n").hasSizeLessThan(400);
          malformed.merge(m.error().kind(), 1, Integer::sum);
        }
      }
    }

    // The mutations must reach every kind of refusal and still leave some frames readable, or
    // this test would prove little.
    assertThat(malformed.keySet())
        .contains(
            DecodeError.Kind.NOT_JSON,
            DecodeError.Kind.WRONG_TYPE,
            DecodeError.Kind.MISSING_FIELD,
            DecodeError.Kind.TOO_DEEP,
            DecodeError.Kind.TOO_LARGE);
    assertThat(messages).isGreaterThan(FRAMES / 20);
  }

  static String mutate(String frame, Random random) {
    StringBuilder text = new StringBuilder(frame);
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(text.length() + 1);
      switch (random.nextInt(7)) {
        case 0 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(8)));
        case 1 -> text.insert(at, NOISE[random.nextInt(NOISE.length)]);
        case 2 -> text.setLength(at);
        case 3 -> text.insert(at, "x".repeat(random.nextInt(4) == 0 ? 70_000 : 100));
        case 4 -> replaceFirst(text, "\"t1\"", random.nextBoolean() ? "7" : "{}");
        case 5 ->
            replaceFirst(text, "\"data\":", "\"data\":" + (random.nextBoolean() ? "[" : "1,"));
        default -> {
          // leave this edit out: some frames stay valid
        }
      }
    }
    return text.toString();
  }

  private static void replaceFirst(StringBuilder text, String target, String replacement) {
    int at = text.indexOf(target);
    if (at >= 0) {
      text.replace(at, at + target.length(), replacement);
    }
  }
}

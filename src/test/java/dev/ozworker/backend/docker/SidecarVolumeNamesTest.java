package dev.ozworker.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectImageResponse;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SidecarVolumeNamesTest {

  @ParameterizedTest
  @CsvSource({
    "warpdotdev/agent:latest,            sha256:0123456789abcdef0123,"
        + " warpdotdev-agent-0123456789ab",
    "docker.io/warpdotdev/agent:1.2,     sha256:0123456789abcdef0123,"
        + " warpdotdev-agent-0123456789ab",
    "ubuntu,                             sha256:fedcba9876543210aaaa, ubuntu-fedcba987654",
    "docker.io/library/ubuntu:22.04,     sha256:fedcba9876543210aaaa, ubuntu-fedcba987654",
    "localhost:5000/team/agent:dev,      sha256:aaaabbbbccccdddd,    "
        + " localhost-5000-team-agent-aaaabbbbcccc",
    "ghcr.io/org/cli@sha256:9999,        sha256:1234567890abcdef,     ghcr.io-org-cli-1234567890ab",
    "agent:1,                            abc,                          agent-abc"
  })
  void namesAVolumeAfterTheRepositoryAndTwelveHexOfTheDigest(
      String image, String digest, String expected) {
    assertThat(SidecarVolumes.volumeName(image, digest)).isEqualTo(expected);
  }

  @Test
  void takesTheRegistryDigestOverTheLocalId() {
    InspectImageResponse pulled =
        new InspectImageResponse()
            .withId("sha256:local")
            .withRepoDigests(List.of("warpdotdev/agent@sha256:registry"));
    InspectImageResponse built = new InspectImageResponse().withId("sha256:local");

    assertThat(SidecarVolumes.digestOf(pulled)).isEqualTo("sha256:registry");
    assertThat(SidecarVolumes.digestOf(built)).isEqualTo("sha256:local");
  }

  @ParameterizedTest
  @CsvSource({
    "ubuntu,                        docker.io,      library/ubuntu, latest, ''",
    "ubuntu:22.04,                  docker.io,      library/ubuntu, 22.04,  ''",
    "index.docker.io/a/b:1,         docker.io,      a/b,            1,      ''",
    "localhost:5000/x,              localhost:5000, x,              latest, ''",
    "ghcr.io/o/r@sha256:ab,         ghcr.io,        o/r,            '',     sha256:ab",
    "ghcr.io/o/r:t@sha256:ab,       ghcr.io,        o/r,            t,      sha256:ab",
    "team/agent,                    docker.io,      team/agent,     latest, ''"
  })
  void readsImageReferencesAsDockerDoes(
      String reference, String registry, String path, String tag, String digest) {
    ImageName name = ImageName.parse(reference);

    assertThat(name)
        .isEqualTo(
            new ImageName(
                registry, path, tag, digest.isEmpty() ? Optional.empty() : Optional.of(digest)));
  }

  @Test
  void credentialsOfDockerHubLiveUnderItsIndexUrl() {
    assertThat(ImageName.parse("ubuntu").authKey()).isEqualTo("https://index.docker.io/v1/");
    assertThat(ImageName.parse("ghcr.io/o/r").authKey()).isEqualTo("ghcr.io");
    assertThat(ImageName.parse("ghcr.io/o/r@sha256:ab").pullRepository())
        .isEqualTo("ghcr.io/o/r@sha256:ab");
  }
}

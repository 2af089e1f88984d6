package dev.ozworker.oz;

/** Frames as the reference Oz server writes them, shared by tests and benchmarks. */
public final class OzFrames {
  /** An assignment as the server marshals it (Go field names and order, RFC 3339 times). */
  public static final String REFERENCE_ASSIGNMENT =
      """
      {"type":"task_assignment","data":{"task_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7",\
      "execution_id":"exec-2","task":{"id":"7c9e6679-7425-40de-944b-e07fc1f90ae7",\
      "title":"Fix the flaky test","task_definition":{"prompt":"Make CI green"},\
      "created_at":"2026-11-20T09:15:00.123456789-07:00","updated_at":"2026-11-20T16:15:01Z",\
      "owner":{"Type":"TEAM","Id":42},"agent_config_snapshot":{"environment_id":"env-9",\
      "model_id":"claude-4-opus","mcp_servers":{"linear":{"url":"https://mcp.linear.app"}},\
      "computer_use_enabled":false,"idle_timeout_minutes":10,"harness":{"type":"claude"},\
      "harness_auth_secrets":{"claude_auth_secret_name":"claude-key"},\
      "inference_providers":{"aws":{"role_arn":"arn:aws:iam::1:role/r","region":"eu-west-1"}},\
      "session_sharing":{"public_access":"VIEWER"},"snapshot_disabled":true,\
      "snapshot_upload_timeout_secs":30},"agent_conversation_id":"conv-1"},\
      "docker_image":"ghcr.io/acme/env:1","sidecar_image":"warpdotdev/agent:2",\
      "env_vars":{"GITHUB_ACCESS_TOKEN":"ghs_secret","WARP_API_KEY":"wk_secret"},\
      "additional_sidecars":[{"image":"ghcr.io/acme/tools:3","mount_path":"/mnt/tools",\
      "read_write":true}],"additional_oz_args":["--debug"],\
      "instance_shape":{"vcpus":4,"memory_gb":8}}}\
      """;

  private OzFrames() {}

  /** {@link #REFERENCE_ASSIGNMENT}, read. */
  public static TaskAssignment referenceAssignment() {
    return (TaskAssignment)
        ((Decoded.Message) new OzCodec().decode(REFERENCE_ASSIGNMENT)).message();
  }
}

package dev.ozworker.demo;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The Kubernetes API the demo runs on, as the command line chose it.
 *
 * @param description where it is, for the demo's header
 * @param serverSideApply whether the controller may patch with server-side apply (the embedded API
 *     server answers 415)
 * @param embedded whether it is the in-process API server, whose state ends with the demo (nothing
 *     to remove afterwards)
 */
public record DemoCluster(
    KubernetesClient client, String description, boolean serverSideApply, boolean embedded) {}

"""ReverseProxy on a Docker host and on Swarm, under mocks: its site, TLS, reloads and ACME."""

from __future__ import annotations

import base64

import pulumi
import pytest

from standard_stack import ProxyRoute, ReverseProxy, ReverseProxyArgs
from standard_stack._models import Upstream
from tests.support.one_shot import ONE_SHOT, one_shot
from tests.support.program import RecordingMocks, run_program
from tests.unit.components.harness import RUNTIME, SECRET, SERVICE, SWARM, containers, graph, proxy_args, run


def test_proxy_renders_its_routes_into_the_site_config():
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    site = one_shot(mocks, "edge-site-files-loader").files["/etc/nginx/site/site.conf"]
    assert "location /api/" in site and "location /" in site and "location = /healthz" in site
    assert "resolver 127.0.0.11" in site


def test_proxy_routes_an_alias_to_the_container_it_stands_for_now():
    def program() -> None:
        upstreams = {"api": Upstream(host=pulumi.Output.from_input("api-4f2a9c1"), address="172.18.0.5")}
        ReverseProxy("edge", proxy_args(nginx_version="1.30.0", upstreams=upstreams))

    _, mocks = run(program)
    site = one_shot(mocks, "edge-site-files-loader").files["/etc/nginx/site/site.conf"]
    assert "server api-4f2a9c1:8000 resolve max_fails=0;\n    server 172.18.0.5:8000 backup max_fails=0;" in site
    assert "server web:3000 resolve max_fails=0;\n    keepalive 32;" in site  # no upstream given: the alias


def test_proxy_refuses_an_upstream_that_no_route_uses():
    upstreams = {"admin": Upstream(host="admin-1", address="172.18.0.9")}
    with pytest.raises(pulumi.RunError, match=r"upstreams admin match no route's upstream_host \(api, web\)"):
        run(lambda: ReverseProxy("edge", proxy_args(upstreams=upstreams)))


def test_proxy_with_tls_ships_certificate_and_key_as_secret_files_and_publishes_both_ports():
    cert = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
    key = "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n"
    _, mocks = run(
        lambda: ReverseProxy(
            "edge",
            proxy_args(
                tls=True,
                tls_certificate=pulumi.Output.secret(cert),
                tls_private_key=pulumi.Output.secret(key),
                http_port=80,
                https_port=443,
                bind_address="0.0.0.0",
            ),
        )
    )
    loader = one_shot(mocks, "edge-site-files-loader")
    assert loader.files_are_secret
    assert loader.files["/etc/nginx/site/tls/key.pem"] == key
    assert [p["external"] for p in containers(mocks)["edge"].plain("ports")] == [80, 443]


def test_proxy_refuses_a_key_pasted_into_the_certificate_setting_without_echoing_it():
    key = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"
    with pytest.raises(pulumi.RunError) as caught:
        run(
            lambda: ReverseProxy(
                "edge", proxy_args(tls=True, tls_certificate=pulumi.Output.secret(key), tls_private_key=pulumi.Output.secret(key))
            )
        )
    assert "edge: tls_certificate is not a PEM certificate" in str(caught.value)
    assert "TOPSECRET" not in str(caught.value)


def test_proxy_refusals_name_the_tls_input_as_the_calling_program_calls_it():
    key = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"
    with pytest.raises(pulumi.RunError) as caught:
        run(
            lambda: ReverseProxy(
                "edge",
                proxy_args(tls=True, tls_certificate=key, tls_private_key=key, tls_setting="standard-stack:{key}"),
            )
        )
    assert "standard-stack:tlsCertificate is not a PEM certificate" in str(caught.value)


def test_proxy_needs_at_least_one_route():
    with pytest.raises(ValueError, match="routes"):
        ReverseProxyArgs(runtime=RUNTIME, network="front", routes=[])


@pytest.mark.parametrize(("version", "marker"), [("1.28", "resolve"), ("1.22", "set $upstream_")])
def test_proxy_keeps_upstream_connections_alive_where_nginx_can_re_resolve_them(version, marker):
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args(nginx_version=version)))
    site = one_shot(mocks, "edge-site-files-loader").files["/etc/nginx/site/site.conf"]
    assert marker in site
    assert ("keepalive 32" in site) == (version == "1.28")


def test_proxy_outputs_the_public_url_not_the_bind_address():
    result, _ = run(lambda: pulumi.export("url", ReverseProxy("edge", proxy_args(public_url="https://example.com/")).url))
    assert result.values["url"] == "https://example.com"


# --- config changes reload nginx in place (the proxy container follows only its image and ports)


def test_proxy_container_inputs_do_not_follow_the_site_files():
    """Nothing of the files loader (its id is what changes with the files) reaches the proxy's inputs."""
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    assert "edge-site-files-loader-id" not in str(containers(mocks)["edge"].inputs)


def test_a_reload_runs_in_the_proxy_pid_namespace_as_the_nginx_user_once_per_files_revision():
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    reload = one_shot(mocks, "edge-reload")
    assert reload.pid_mode == "container:edge-id"
    assert reload.user == "101:0" and reload.entrypoint == ["/usr/local/bin/nginx-reload"]
    assert reload.env == ["REVISION=edge-site-files-loader-id"]
    assert reload.host_config["RestartPolicy"] == {"Name": "no"} and reload.network_mode == "none"
    assert reload.host_config["CapDrop"] == ["ALL"] and reload.host_config["CapAdd"] == []
    assert reload.host_config["ReadonlyRootfs"] is True


def test_a_reload_nginx_refuses_fails_the_deploy_saying_nginx_keeps_the_previous_configuration():
    """The run fails the deploy with its exit code and log (one_shot.run, the engine tier); the program says what
    failed and what that means for the site."""
    _, mocks = run(lambda: ReverseProxy("edge", proxy_args()))
    reload = one_shot(mocks, "edge-reload")
    assert reload.description == "edge-reload: nginx reload"
    assert reload.consequence == "nginx did not take the new configuration and keeps serving the previous one"


# --- proxy.acme


def acme_proxy(**acme):
    from standard_stack import AcmeArgs

    args = AcmeArgs(domain="shop.example.com", directory_url="https://ca.internal/dir", **acme)
    return ReverseProxy("edge", proxy_args(tls=True, server_name="shop.example.com", acme=args))


def test_acme_client_runs_as_its_own_user_in_its_own_pid_namespace():
    _, mocks = run(lambda: acme_proxy(email="ops@example.com"))
    client = containers(mocks)["edge-acme"]
    assert client.plain("pidMode") is None and client.plain("user") == "1101:0"
    assert "ACME_PROXY_ADDRESS=edge:8443" in client.plain("envs")
    assert "ACME_DIRECTORY_URL=https://ca.internal/dir" in client.plain("envs")
    assert "ACME_DOMAIN=shop.example.com" in client.plain("envs") and "ACME_EMAIL=ops@example.com" in client.plain("envs")
    assert mocks.named("edge-acme-image").plain("build")["target"] == "acme"


def test_acme_reloader_alone_shares_the_proxy_s_pid_namespace_without_network_or_write_access():
    _, mocks = run(lambda: acme_proxy())
    reloader = containers(mocks)["edge-acme-reload"]
    assert reloader.plain("pidMode") == "container:edge-id" and reloader.plain("user") == "101:0"
    assert reloader.plain("networkMode") == "none" and reloader.plain("command") == [
        "--watch",
        "/etc/nginx/acme/current/installed",
    ]
    assert [m["readOnly"] for m in reloader.plain("volumes")] == [True]


def test_acme_init_takes_the_volume_over_as_root_with_three_capabilities_only():
    _, mocks = run(lambda: acme_proxy())
    init = one_shot(mocks, "edge-acme-init")
    assert init.user == "0:0"
    assert init.host_config["CapDrop"] == ["ALL"] and init.host_config["CapAdd"] == ["CHOWN", "DAC_OVERRIDE", "FOWNER"]
    assert init.host_config["SecurityOpt"] == ["no-new-privileges:true"] and init.host_config["ReadonlyRootfs"] is True
    assert init.mounts == {"/etc/nginx/acme": ("shop-test-edge-acme-data", False)}


def test_acme_volume_is_protected_and_mounted_read_only_in_the_proxy():
    result, mocks = run(lambda: acme_proxy())
    assert mocks.named("edge-acme-data").inputs["name"] == "shop-test-edge-acme-data"
    options = result.options("edge-acme-data", "docker:index/volume:Volume")
    assert options.protect is True and options.retain_on_delete is True
    proxy_mounts = {m["containerPath"]: m for m in containers(mocks)["edge"].plain("volumes")}
    assert proxy_mounts["/etc/nginx/acme"]["readOnly"] is True
    client_mounts = {m["containerPath"]: m for m in containers(mocks)["edge-acme"].plain("volumes")}
    assert not client_mounts["/etc/nginx/acme"].get("readOnly")


def test_acme_placeholder_is_made_before_nginx_starts():
    result, mocks = run(lambda: acme_proxy())
    init = one_shot(mocks, "edge-acme-init")
    assert init.command == ["init"] and init.network_mode == "none"
    assert init.consequence == "nginx does not start without its certificate volume"
    assert result.depends_on("edge", "edge-acme-init", other_typ=ONE_SHOT)


def test_acme_site_serves_the_challenge_over_http_and_the_acme_certificate_over_https():
    _, mocks = run(lambda: acme_proxy())
    files = one_shot(mocks, "edge-site-files-loader").files
    site = files["/etc/nginx/site/site.conf"]
    assert "location ^~ /.well-known/acme-challenge/ {\n        root /etc/nginx/acme/webroot;" in site
    assert "ssl_certificate /etc/nginx/acme/current/fullchain.pem;" in site
    assert not any(path.endswith(".pem") for path in files)


def test_acme_without_tls_is_refused():
    from standard_stack import AcmeArgs

    with pytest.raises(pulumi.RunError, match="acme needs tls"):
        run(lambda: ReverseProxy("edge", proxy_args(acme=AcmeArgs(domain="shop.example.com"))))


# --- on target swarm


CERT = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"


KEY = "-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----\n"


def run_proxy(mocks=None, **overrides):
    """Registers ReverseProxy("proxy") on swarm routing to tasks.<service> names, in a throwaway program."""
    from standard_stack import ReverseProxy, ReverseProxyArgs

    base = dict(
        runtime=SWARM,
        registry="127.0.0.1:46500/team",
        network="front",
        network_id="front-id",
        bind_address="0.0.0.0",
        http_port=45080,
        routes=[
            ProxyRoute(path_prefix="/api/", upstream_host="tasks.shop-test-api", upstream_port=8000, strip_prefix=True),
            ProxyRoute(path_prefix="/", upstream_host="tasks.shop-test-web", upstream_port=3000),
        ],
    )
    mocks = mocks or RecordingMocks()

    def body():
        tls = {"tls_certificate": pulumi.Output.secret(CERT), "tls_private_key": pulumi.Output.secret(KEY)}
        ReverseProxy("proxy", ReverseProxyArgs(**{**base, **(tls if overrides.get("tls") else {}), **overrides}))

    run = run_program(mocks, {}, stack="test", program=body)
    return run, mocks


def test_proxy_on_swarm_registers_its_image_a_site_config_and_one_service_no_loader_or_reload():
    run, mocks = run_proxy()
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("ReverseProxy", "proxy", [], False),
            ("Image", "proxy-image", [], False),
            ("ServiceConfig", "proxy-config-site.conf", [], False),
            ("Service", "proxy", sorted(["proxy-image", "proxy-config-site.conf"]), True),
        ]
    )


def test_the_proxy_site_is_a_docker_config_routing_to_the_tasks_of_each_service():
    _, mocks = run_proxy()
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "tasks.shop-test-api:8000" in site and "tasks.shop-test-web:3000" in site
    refs = mocks.named("proxy", SERVICE).plain("taskSpec")["containerSpec"]["configs"]
    assert [(r["fileName"], r["fileMode"]) for r in refs] == [("/etc/nginx/site/site.conf", 0o440)]


def test_the_proxy_on_swarm_re_resolves_tasks_within_swarms_2s_gossip_delay_before_a_task_stops():
    _, mocks = run_proxy()
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in site and "valid=2s" not in site


def test_a_changed_site_is_a_new_auto_named_config_so_the_proxy_tasks_roll():
    config = run_proxy()[1].named("proxy-config-site.conf")
    assert "name" not in config.inputs  # Pulumi's auto-name: new content, new config, new service spec


def test_the_proxy_publishes_its_ports_in_host_mode_and_updates_stop_first():
    service = run_proxy(tls=True, https_port=45443)[1].named("proxy", SERVICE)
    assert service.plain("endpointSpec") == {
        "mode": "dnsrr",
        "ports": [
            {"targetPort": 8080, "publishedPort": 45080, "publishMode": "host"},
            {"targetPort": 8443, "publishedPort": 45443, "publishMode": "host"},
        ],
    }
    assert (service.plain("updateConfig")["order"], service.plain("rollbackConfig")["order"]) == ("stop-first", "stop-first")
    assert service.plain("mode") == {"replicated": {"replicas": 1}}


def test_the_proxy_runs_on_its_labelled_node_from_the_pushed_image_on_the_frontend_by_id():
    task = run_proxy()[1].named("proxy", SERVICE).plain("taskSpec")
    assert task["placement"] == {"constraints": ["node.labels.dev.standard-stack.shop-test-proxy==true"]}
    assert task["containerSpec"]["image"].startswith("127.0.0.1:46500/team/shop-proxy@sha256:")
    assert task["networksAdvanceds"] == [{"id": "front-id", "aliases": ["proxy"]}]
    assert (task["containerSpec"]["user"], task["containerSpec"]["readOnly"]) == ("101:0", True)


def test_the_proxy_certificate_and_key_are_docker_secrets_the_site_names():
    _, mocks = run_proxy(tls=True)
    secrets = {r.name: base64.b64decode(r.plain("data")).decode() for r in mocks.of_type(SECRET)}
    assert secrets == {"proxy-secret-tls-cert.pem": CERT, "proxy-secret-tls-key.pem": KEY}
    assert all(r.is_secret("data") for r in mocks.of_type(SECRET))
    refs = mocks.named("proxy", SERVICE).plain("taskSpec")["containerSpec"]["secrets"]
    assert [(r["fileName"], r["fileMode"]) for r in refs] == [("tls_cert.pem", 0o440), ("tls_key.pem", 0o440)]
    site = base64.b64decode(mocks.named("proxy-config-site.conf").plain("data")).decode()
    assert "ssl_certificate /run/secrets/tls_cert.pem;" in site and "ssl_certificate_key /run/secrets/tls_key.pem;" in site
    assert "TOPSECRET" not in site


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registry": None}, "registry is required with target: swarm"),
        ({"network_id": None}, "network_id is required with target: swarm: tasks join networks by id"),
        ({"bind_address": "127.0.0.1"}, "bind_address (127.0.0.1) must be 0.0.0.0 with target: swarm"),
        (
            {"upstreams": {"tasks.shop-test-api": {"host": "c", "address": "172.30.0.2"}}},
            "upstreams (tasks.shop-test-api) must be empty with target: swarm: routes name tasks.<service>",
        ),
        (
            {"tls": True, "acme": {"domain": "shop.example", "directory_url": "https://acme.example/dir"}},
            "acme must be None with target: swarm (not ported yet)",
        ),
    ],
    ids=["no registry", "no network id", "loopback bind", "upstreams", "acme"],
)
def test_the_proxy_refuses_what_swarm_cannot_run_before_registering_anything(overrides, message):
    mocks = RecordingMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_proxy(mocks, **overrides)
    assert str(caught.value).startswith("proxy: ") and message in str(caught.value)
    assert mocks.registered == []

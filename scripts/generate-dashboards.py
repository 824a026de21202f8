#!/usr/bin/env python3
"""Writes the Grafana dashboards in dashboards/ from the panel lists below, so that ids, datasources,
variables and layout stay consistent. Run it after changing a panel and commit the JSON it writes; the
test suite lints the JSON and runs every panel's query against a real Prometheus."""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dashboards")

C = 'cluster_name=~"$cluster"'
CG = 'cluster_name=~"$cluster",consumergroup=~"$consumergroup"'
# Leaves out the groups nobody runs any more (status INACTIVE), so the top-10 panels show real problems.
NOT_INACTIVE = f'unless on (cluster_name, consumergroup) kafka_consumergroup_status{{{C},status="INACTIVE"}} == 1'
CT = 'cluster_name=~"$cluster",topic=~"$topic"'


def variable(name, label, query, multi=True):
    return {
        "name": name, "label": label, "type": "query", "datasource": DS,
        "query": {"query": query, "refId": name}, "definition": query,
        "refresh": 2, "includeAll": multi, "multi": multi, "sort": 1,
        "current": {}, "options": [],
    }


DATASOURCE = {
    "name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
    "current": {}, "options": [], "refresh": 1, "hide": 0,
}
CLUSTER = variable("cluster", "Cluster", "label_values(lagwatch_up, cluster_name)")
# The dashboards about one group or one topic show one cluster's: a group or topic name can repeat across
# clusters, and every legend would have to name the cluster.
ONE_CLUSTER = variable("cluster", "Cluster", "label_values(lagwatch_up, cluster_name)", multi=False)

# Links from a series to the dashboard of its group or topic, kept to the series' cluster.
GROUP_LINK = {"title": "Consumer group ${__field.labels.consumergroup}", "url":
              "/d/lagwatch-consumer-group/kafka-lagwatch-consumer-group?var-datasource=${datasource}"
              "&var-cluster=${__field.labels.cluster_name}&var-consumergroup=${__field.labels.consumergroup}"}
TOPIC_LINK = {"title": "Topic ${__field.labels.topic}", "url":
              "/d/lagwatch-topic/kafka-lagwatch-topic?var-datasource=${datasource}"
              "&var-cluster=${__field.labels.cluster_name}&var-topic=${__field.labels.topic}"}
STATUSES = ["OK", "INACTIVE", "NOTFOUND", "WARN", "REWIND", "STALL", "STOP", "ERR"]
STATUS_COLORS = {"OK": "green", "INACTIVE": "text", "NOTFOUND": "purple", "WARN": "yellow", "REWIND": "blue",
                 "STALL": "orange", "STOP": "red", "ERR": "dark-red"}


def panel(kind, title, targets, w, h, unit="short", description="", **extra):
    p = {
        "type": kind, "title": title, "description": description, "datasource": DS,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend,
             **({"instant": True, "format": "table"} if kind == "table" else {})}
            for i, (expr, legend) in enumerate(targets)
        ],
    }
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background", "graphMode": "none"}
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi"}}
    p.update(extra)
    return p


def thresholds(*steps):
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


def layout(panels):
    x = y = row_height = 0
    for index, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y, row_height = 0, y + row_height, 0
        p["gridPos"].update({"x": x, "y": y})
        p["id"] = index
        x += w
        row_height = max(row_height, h)
    return panels


def link_lists(uid, panels):
    """Gives every panel whose series name a group (or a topic) a link to that group's (topic's) dashboard."""
    for p in panels:
        legends = " ".join(t.get("legendFormat", "") for t in p["targets"])
        links = []
        if "{{consumergroup}}" in legends and uid != "lagwatch-consumer-group":
            links.append(GROUP_LINK)
        if "{{topic}}" in legends and uid != "lagwatch-topic":
            links.append(TOPIC_LINK)
        if links:
            p["fieldConfig"]["defaults"]["links"] = links
    return panels


def dashboard(uid, title, description, variables, panels):
    link_lists(uid, panels)
    return {
        "uid": uid, "title": title, "description": description, "tags": ["kafka", "lagwatch"],
        "editable": True, "schemaVersion": 39, "version": 1, "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"}, "timezone": "",
        "templating": {"list": [DATASOURCE] + variables},
        "annotations": {"list": []},
        "links": [{"title": "lagwatch", "type": "dashboards", "tags": ["lagwatch"], "asDropdown": True}],
        "panels": layout(panels),
    }


def overview():
    status_colors = thresholds((None, "green"), (1, "red"))
    panels = [
        panel("stat", "Clusters up", [(f"sum(lagwatch_up{{{C}}})", "")], 3, 4,
              description="Clusters whose last poll got a metadata answer.",
              fieldConfig={"defaults": {"unit": "short"}, "overrides": []}),
        panel("stat", "Brokers", [(f"sum(kafka_brokers{{{C}}})", "")], 3, 4),
        panel("stat", "Topics", [(f"count(kafka_topic_partitions{{{C}}})", "")], 3, 4),
        panel("stat", "Partitions", [(f"sum(kafka_topic_partitions{{{C}}})", "")], 3, 4),
        panel("stat", "Under-replicated partitions",
              [(f"sum(kafka_topic_partition_under_replicated_partition{{{C}}})", "")], 3, 4,
              fieldConfig={"defaults": {"unit": "short", "thresholds": status_colors}, "overrides": []}),
        panel("stat", "Offline partitions",
              [(f"count(kafka_topic_partition_leader{{{C}}} == -1) or vector(0)", "")], 3, 4,
              fieldConfig={"defaults": {"unit": "short", "thresholds": status_colors}, "overrides": []}),
        panel("stat", "Hanging transactions",
              [(f"sum(kafka_topic_partition_hanging_transaction{{{C}}}) or vector(0)", "")], 3, 4,
              description="Partitions whose last stable offset has stood below the high watermark longer than "
                          "transactions.hanging_after: read_committed consumers are blocked there.",
              fieldConfig={"defaults": {"unit": "short", "thresholds": status_colors}, "overrides": []}),
        panel("stat", "Groups committed outside the log",
              [(f"count(kafka_consumergroup_status{{{C},status=\"ERR\"}} == 1) or vector(0)", "")], 3, 4,
              description="Groups with a committed offset below the log start (data lost to retention) or past "
                          "its end (topic recreated, log truncated).",
              fieldConfig={"defaults": {"unit": "short", "thresholds": status_colors}, "overrides": []}),
        panel("stat", "Inactive groups",
              [(f"count(kafka_consumergroup_status{{{C},status=\"INACTIVE\"}} == 1) or vector(0)", "")], 3, 4,
              description="Groups nobody runs any more: no members, oldest unread message older than "
                          "status.inactive_after. Left out of the top-10 panels below and of the lag alerts.",
              fieldConfig={"defaults": {"unit": "short"}, "overrides": []}),
        panel("timeseries", "Consumer groups by status",
              [(f"sum by (status) (kafka_consumergroup_status{{{C}}})", "{{status}}")], 12, 8,
              description="Each group counts once, under its worst partition's status.",
              fieldConfig={"defaults": {"unit": "short", "custom": {"stacking": {"mode": "normal"}, "fillOpacity": 60}},
                           "overrides": []}),
        panel("bargauge", "Top lagging groups: lag in seconds",
              [(f"topk(10, max by (cluster_name, consumergroup) (kafka_consumergroup_max_lag_seconds{{{C}}}) {NOT_INACTIVE})",
                "{{consumergroup}} ({{cluster_name}})")], 12, 8, unit="s",
              options={"displayMode": "gradient", "orientation": "horizontal",
                       "reduceOptions": {"calcs": ["lastNotNull"]}}),
        panel("bargauge", "Top lagging groups: messages",
              [(f"topk(10, sum by (cluster_name, consumergroup) (kafka_consumergroup_lag_sum{{{C}}}) {NOT_INACTIVE})",
                "{{consumergroup}} ({{cluster_name}})")], 12, 8,
              options={"displayMode": "gradient", "orientation": "horizontal",
                       "reduceOptions": {"calcs": ["lastNotNull"]}}),
        panel("timeseries", "Produce rate by topic",
              [(f"topk(10, kafka_topic_produce_rate_messages_per_second{{{C}}})", "{{topic}} ({{cluster_name}})")],
              12, 8, unit="suffix: msg/s"),
        panel("timeseries", "lagwatch poll duration", [(f"lagwatch_poll_duration_seconds{{{C}}}", "{{cluster_name}}")],
              8, 7, unit="s"),
        panel("timeseries", "lagwatch poll errors",
              [(f"sum by (cluster_name, stage) (increase(lagwatch_poll_errors_total{{{C}}}[$__rate_interval]))",
                "{{cluster_name}} {{stage}}")], 8, 7),
        panel("timeseries", "lagwatch snapshot age", [(f"lagwatch_snapshot_age_seconds{{{C}}}", "{{cluster_name}}")],
              8, 7, unit="s"),
    ]
    return dashboard("lagwatch-overview", "Kafka / lagwatch overview",
                     "Clusters, partitions, consumer groups by status and the most lagging ones, and lagwatch's own health.",
                     [CLUSTER], panels)


def consumer_group():
    group = variable("consumergroup", "Consumer group",
                     'label_values(kafka_consumergroup_status{cluster_name=~"$cluster"}, consumergroup)', multi=False)
    # The status as a number (its place from best to worst), which value mappings turn back into its name
    # and colour: a stat panel maps values, and the 0/1 status series would all read 1.
    code = " or ".join(f'kafka_consumergroup_status{{{CG},status="{s}"}} * {i}' for i, s in enumerate(STATUSES))
    mappings = [{"type": "value", "options": {
        str(i): {"text": s, "color": STATUS_COLORS[s], "index": i} for i, s in enumerate(STATUSES)}}]
    panels = [
        panel("stat", "Status", [(f"sum by (cluster_name, consumergroup) ({code})", "")], 4, 4,
              description="The worst status over the group's partitions (rules in the lagwatch README).",
              options={"reduceOptions": {"calcs": ["lastNotNull"]}, "textMode": "value", "colorMode": "background",
                       "graphMode": "none"}),
        panel("stat", "Lag", [(f"sum(kafka_consumergroup_lag_sum{{{CG}}})", "")], 4, 4),
        panel("stat", "Lag in seconds", [(f"max(kafka_consumergroup_max_lag_seconds{{{CG}}})", "")], 4, 4, unit="s",
              fieldConfig={"defaults": {"unit": "s", "thresholds": thresholds((None, "green"), (300, "yellow"), (900, "red"))},
                           "overrides": []}),
        panel("stat", "Catch-up ETA", [(f"max(kafka_consumergroup_catchup_eta_seconds{{{CG}}})", "")], 4, 4, unit="s",
              description="Empty while the group is not catching up."),
        panel("stat", "Members", [(f"sum(kafka_consumergroup_members{{{CG}}})", "")], 4, 4),
        panel("stat", "Consumed", [(f"sum(kafka_consumergroup_topic_consume_rate_messages_per_second{{{CG}}})", "")],
              4, 4, unit="suffix: msg/s"),
        panel("timeseries", "Lag by topic", [(f"kafka_consumergroup_lag_sum{{{CG}}}", "{{topic}}")], 12, 8),
        # Each per-partition query falls back, topic by topic, to the per-topic series where the cluster is
        # exported at `granularity: topic` (no partition label then).
        panel("timeseries", "Lag in seconds by partition",
              [(f"kafka_consumergroup_lag_seconds{{{CG}}} or on (cluster_name, consumergroup, topic) "
                f"kafka_consumergroup_topic_max_lag_seconds{{{CG}}}", "{{topic}}/{{partition}} ({{method}})")], 12, 8,
              unit="s", description="Per topic (its largest) where the cluster is exported at granularity: topic."),
        panel("timeseries", "Committed offset and high watermark by partition",
              [(f"kafka_consumergroup_current_offset{{{CG}}} or on (cluster_name, consumergroup, topic) "
                f"kafka_consumergroup_current_offset_sum{{{CG}}}", "committed {{topic}}/{{partition}}"),
               (f"(kafka_topic_partition_current_offset{{{C}}} and on (cluster_name, topic, partition) "
                f"kafka_consumergroup_current_offset{{{CG}}}) or on (cluster_name, topic) "
                f"(sum by (cluster_name, topic) (kafka_topic_partition_current_offset{{{C}}}) and on (cluster_name, topic) "
                f"kafka_consumergroup_current_offset_sum{{{CG}}})", "high watermark {{topic}}/{{partition}}")], 12, 8,
              description="Summed over the topic's partitions where the cluster is exported at granularity: topic."),
        panel("timeseries", "Consume and produce rates",
              [(f"kafka_consumergroup_topic_consume_rate_messages_per_second{{{CG}}}", "consumed {{topic}}"),
               (f"kafka_topic_produce_rate_messages_per_second{{{C}}} and on (cluster_name, topic) "
                f"kafka_consumergroup_topic_consume_rate_messages_per_second{{{CG}}}", "produced {{topic}}")],
              12, 8, unit="suffix: msg/s"),
        panel("timeseries", "Partitions by status", [(f"kafka_consumergroup_status_partitions{{{CG}}}", "{{status}}")],
              12, 8, fieldConfig={"defaults": {"unit": "short", "custom": {"stacking": {"mode": "normal"}, "fillOpacity": 60}},
                                  "overrides": []}),
        panel("timeseries", "Members", [(f"kafka_consumergroup_members{{{CG}}}", "members")], 6, 8),
        panel("timeseries", "Catch-up ETA", [(f"kafka_consumergroup_catchup_eta_seconds{{{CG}}}", "catch-up ETA")], 6, 8,
              unit="s", description="Shown while the group catches up; 0 when caught up; empty otherwise."),
    ]
    panels[0]["fieldConfig"]["defaults"]["mappings"] = mappings
    return dashboard("lagwatch-consumer-group", "Kafka / lagwatch consumer group",
                     "One consumer group: status, lag in messages and seconds, offsets against the log, rates, members.",
                     [ONE_CLUSTER, group], panels)


def topic():
    topic_var = variable("topic", "Topic", 'label_values(kafka_topic_partitions{cluster_name=~"$cluster"}, topic)', multi=False)
    panels = [
        panel("stat", "Partitions", [(f"sum(kafka_topic_partitions{{{CT}}})", "")], 6, 4),
        panel("stat", "Produced", [(f"sum(kafka_topic_produce_rate_messages_per_second{{{CT}}})", "")], 6, 4,
              unit="suffix: msg/s"),
        panel("stat", "Under-replicated partitions",
              [(f"sum(kafka_topic_partition_under_replicated_partition{{{CT}}})", "")], 6, 4,
              fieldConfig={"defaults": {"unit": "short", "thresholds": thresholds((None, "green"), (1, "red"))},
                           "overrides": []}),
        panel("stat", "Groups reading it", [(f"count(count by (consumergroup) (kafka_consumergroup_lag_sum{{{CT}}}))", "")],
              6, 4),
        panel("timeseries", "Produce rate by partition",
              [(f"kafka_topic_partition_produce_rate_messages_per_second{{{CT}}}", "{{topic}}/{{partition}}")], 12, 8,
              unit="suffix: msg/s"),
        panel("timeseries", "In-sync replicas against replicas",
              [(f"sum by (topic) (kafka_topic_partition_in_sync_replica{{{CT}}})", "in sync {{topic}}"),
               (f"sum by (topic) (kafka_topic_partition_replicas{{{CT}}})", "replicas {{topic}}")], 12, 8,
              description="A gap is an ISR shrink."),
        panel("table", "Partition leaders and replicas",
              [(f"kafka_topic_partition_leader{{{CT}}}", "leader"),
               (f"kafka_topic_partition_replicas{{{CT}}}", "replicas"),
               (f"kafka_topic_partition_in_sync_replica{{{CT}}}", "in sync"),
               (f"kafka_topic_partition_leader_is_preferred{{{CT}}}", "preferred leader")], 12, 9,
              transformations=[{"id": "merge"}, {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}}}]),
        panel("timeseries", "Groups reading it: lag",
              [(f"sum by (consumergroup) (kafka_consumergroup_lag_sum{{{CT}}})", "{{consumergroup}}")], 12, 9),
        panel("timeseries", "Groups reading it: consume rate",
              [(f"sum by (consumergroup) (kafka_consumergroup_topic_consume_rate_messages_per_second{{{CT}}})",
                "{{consumergroup}}")], 24, 8, unit="suffix: msg/s"),
        panel("timeseries", "Offsets held back by open transactions",
              [(f"kafka_topic_partition_current_offset{{{CT}}} - kafka_topic_partition_last_stable_offset{{{CT}}}",
                "{{topic}}/{{partition}}")], 24, 8,
              description="High watermark minus last stable offset: what read_committed consumers cannot read "
                          "yet. Above 0 while a transaction is open; a line that only grows is a hanging "
                          "transaction (kafka_topic_partition_hanging_transaction)."),
    ]
    return dashboard("lagwatch-topic", "Kafka / lagwatch topic",
                     "One topic: produce rate per partition, leaders, replicas and ISR, and the groups reading it.",
                     [ONE_CLUSTER, topic_var], panels)


PROVISIONING = """# Grafana provisioning: loads lagwatch's dashboards from disk into a "lagwatch" folder.
# Copy to /etc/grafana/provisioning/dashboards/ and point `path` at where the JSON files are
# (`make install` puts them in /usr/local/share/lagwatch/dashboards).
apiVersion: 1
providers:
  - name: lagwatch
    folder: lagwatch
    type: file
    disableDeletion: false
    allowUiUpdates: true
    updateIntervalSeconds: 60
    options:
      path: /usr/local/share/lagwatch/dashboards
      foldersFromFilesStructure: false
"""

if __name__ == "__main__":
    for name, build in [("lagwatch-overview", overview), ("lagwatch-consumer-group", consumer_group),
                        ("lagwatch-topic", topic)]:
        with open(os.path.join(ROOT, name + ".json"), "w") as out:
            json.dump(build(), out, indent=2, sort_keys=True)
            out.write("\n")
    os.makedirs(os.path.join(ROOT, "provisioning"), exist_ok=True)
    with open(os.path.join(ROOT, "provisioning", "lagwatch.yml"), "w") as out:
        out.write(PROVISIONING)
    print("wrote dashboards/*.json and dashboards/provisioning/lagwatch.yml")

#!/usr/bin/env python3
"""Exports logs and traces with the real OpenTelemetry Python SDK to an OTLP/HTTP endpoint.

usage: otlp_send.py ENDPOINT PROTOCOL COMPRESSION COUNT [--signals logs,traces] [--service NAME] [--quiet]

  ENDPOINT     base URL, e.g. http://127.0.0.1:4318 (the exporters append /v1/logs, /v1/traces)
  PROTOCOL     protobuf (opentelemetry-exporter-otlp-proto-http) or json (opentelemetry-exporter-otlp-json-http)
  COMPRESSION  none or gzip
  COUNT        how many log records (each inside its own span) to send

Prints one JSON object a line for every record sent ({"body", "trace_id", "span_id"}) unless
--quiet, then a summary line {"summary": {...}} with the export results and the elapsed time.
Exits non-zero when an export failed.
"""

import argparse
import json
import logging
import sys
import time

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult


def exporters(protocol, compression, endpoint):
    if protocol == "protobuf":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    elif protocol == "json":
        from opentelemetry.exporter.otlp.common.http import Compression
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    else:
        raise SystemExit(f"unknown protocol {protocol!r}: use protobuf or json")
    comp = {"none": Compression.NoCompression if hasattr(Compression, "NoCompression") else Compression.NONE,
            "gzip": Compression.Gzip if hasattr(Compression, "Gzip") else Compression.GZIP}[compression]
    base = endpoint.rstrip("/")
    return (OTLPLogExporter(endpoint=f"{base}/v1/logs", compression=comp, timeout=30),
            OTLPSpanExporter(endpoint=f"{base}/v1/traces", compression=comp, timeout=30))


class Counting:
    """Wraps an exporter to count the batches and records the server acknowledged."""

    def __init__(self, inner, success):
        self.inner, self.success = inner, success
        self.ok_records = self.failed_batches = 0

    def export(self, batch):
        result = self.inner.export(batch)
        if result == self.success:
            self.ok_records += len(batch)
        else:
            self.failed_batches += 1
        return result

    def __getattr__(self, name):
        return getattr(self.inner, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("protocol", choices=["protobuf", "json"])
    ap.add_argument("compression", choices=["none", "gzip"])
    ap.add_argument("count", type=int)
    ap.add_argument("--signals", default="logs,traces")
    ap.add_argument("--service", default="Checkout-Py")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    signals = set(args.signals.split(","))

    resource = Resource.create({"service.name": args.service, "cloud.region": "us-east-1"})
    log_exp, span_exp = exporters(args.protocol, args.compression, args.endpoint)
    log_exp, span_exp = Counting(log_exp, LogRecordExportResult.SUCCESS), Counting(span_exp, SpanExportResult.SUCCESS)
    queue = max(args.count + 1, 2048)

    tracer_provider = TracerProvider(resource=resource)
    if "traces" in signals:
        tracer_provider.add_span_processor(
            BatchSpanProcessor(span_exp, max_queue_size=queue, schedule_delay_millis=200, max_export_batch_size=512))
    logger_provider = LoggerProvider(resource=resource)
    if "logs" in signals:
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(log_exp, max_queue_size=queue, schedule_delay_millis=200,
                                    max_export_batch_size=512))
    log = logging.getLogger("firewatch.otlp_send")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
    tracer = tracer_provider.get_tracer("firewatch.otlp_send")

    start = time.monotonic()
    out = sys.stdout
    for i in range(args.count):
        with tracer.start_as_current_span(f"charge-{i}") as span:
            body = f"payment {i} declined: card_expired"
            log.warning(body)
            if not args.quiet:
                ctx = span.get_span_context()
                out.write(json.dumps({"body": body, "trace_id": f"{ctx.trace_id:032x}",
                                      "span_id": f"{ctx.span_id:016x}"}) + "\n")
    logger_provider.force_flush(60_000)
    tracer_provider.force_flush(60_000)
    elapsed = time.monotonic() - start
    logger_provider.shutdown()
    tracer_provider.shutdown()
    summary = {"protocol": args.protocol, "compression": args.compression, "count": args.count,
               "logs_acked": log_exp.ok_records, "spans_acked": span_exp.ok_records,
               "failed_batches": log_exp.failed_batches + span_exp.failed_batches,
               "seconds": round(elapsed, 3)}
    out.write(json.dumps({"summary": summary}) + "\n")
    out.flush()
    return 1 if summary["failed_batches"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Write OTLP/JSON lines with the real OpenTelemetry Python SDK and its JSON file exporter.

The output is what a service instrumented with the SDK (or the Collector's file
exporter) writes: one ExportLogsServiceRequest / ExportTraceServiceRequest /
ExportMetricsServiceRequest per line, hex ids, int64 as strings.

usage: python otel_fixtures.py OUT_DIR
"""
import logging
import sys
import time
from pathlib import Path

from opentelemetry import trace, metrics
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.json.file import FileSpanExporter, FileMetricExporter
from opentelemetry.exporter.otlp.json.file._log_exporter import FileLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for name in ("logs.jsonl", "traces.jsonl", "metrics.jsonl"):
    (out / name).unlink(missing_ok=True)

resource = Resource.create(
    {
        "service.name": "checkout",
        "service.version": "2.14.1",
        "cloud.region": "us-east-1",
        "host.name": "checkout-7d9f-x2",
        "deployment.environment": "prod",
    }
)

tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(str(out / "traces.jsonl"))))
trace.set_tracer_provider(tracer_provider)
tracer = trace.get_tracer("shop.checkout", "1.0")

logger_provider = LoggerProvider(resource=resource)
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(FileLogExporter(str(out / "logs.jsonl"))))
set_logger_provider(logger_provider)
handler = LoggingHandler(level=logging.DEBUG, logger_provider=logger_provider)
log = logging.getLogger("checkout.api")
log.setLevel(logging.DEBUG)
log.addHandler(handler)
log.propagate = False

reader = PeriodicExportingMetricReader(FileMetricExporter(str(out / "metrics.jsonl")), export_interval_millis=3_600_000)
meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
metrics.set_meter_provider(meter_provider)
meter = metrics.get_meter("shop.checkout")
latency = meter.create_histogram("http.server.request.duration", unit="s")
requests = meter.create_counter("http.server.requests")

for i in range(20):
    with tracer.start_as_current_span("POST /api/checkout", kind=trace.SpanKind.SERVER) as span:
        span.set_attribute("http.request.method", "POST")
        span.set_attribute("http.response.status_code", 500 if i % 7 == 3 else 200)
        span.set_attribute("order.items", i % 5 + 1)
        with tracer.start_as_current_span("charge card", kind=trace.SpanKind.CLIENT) as child:
            child.set_attribute("peer.service", "payments")
            child.set_attribute("server.address", "payments.internal")
            if i % 7 == 3:
                child.set_status(Status(StatusCode.ERROR, "upstream timeout"))
                log.error(
                    "payment call failed for order ord-%04d: upstream timeout after 2500 ms (peer 10.20.30.%d)",
                    i, i,
                    extra={"order.id": f"ord-{i:04d}", "retry": True, "attempt": 3},
                )
            else:
                log.info("order ord-%04d charged in %d ms", i, 40 + i, extra={"order.id": f"ord-{i:04d}", "amount": 19.99 + i})
        latency.record(0.04 + i / 1000, {"http.route": "/api/checkout"})
        requests.add(1, {"http.route": "/api/checkout", "status": "500" if i % 7 == 3 else "200"})
log.warning("connection pool at 92%% of capacity", extra={"pool.size": 50, "tags": ["db", "pool"]})
log.debug("cache refreshed")

meter_provider.force_flush()
tracer_provider.force_flush()
logger_provider.force_flush()
meter_provider.shutdown()
tracer_provider.shutdown()
logger_provider.shutdown()

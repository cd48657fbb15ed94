"""django-post-office 3.x default `send_queued_mail` against a bare smtplib loop, on a counting aiosmtpd sink
like bench_notices's, with notice-sized messages. Run in a throwaway venv (see docs/performance.md), not the product:
    python -m venv /tmp/po && /tmp/po/bin/pip install "django-post-office>=3.9,<4" "psycopg[binary]" aiosmtpd
    createdb rollout_po && /tmp/po/bin/python docs/bench_post_office.py 5000
"""
import multiprocessing, os, resource, smtplib, sys, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def sink(port_value, counter, ready, stop):
    import socket
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 2.0.0 OK"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    c = Controller(Counting(), hostname="127.0.0.1", port=port); c.start()
    port_value.value = port; ready.set(); stop.wait(); c.stop()


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    port, counter, ready, stop = ctx.Value("i", 0), ctx.Value("q", 0), ctx.Event(), ctx.Event()
    p = ctx.Process(target=sink, args=(port, counter, ready, stop), daemon=True); p.start(); ready.wait(30)
    import django
    from django.conf import settings
    settings.configure(
        DEBUG=False, INSTALLED_APPS=["django.contrib.contenttypes", "post_office"],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ.get("PO_DB", "rollout_po"), "USER": "postgres",
                               "HOST": "127.0.0.1", "PORT": 5432}},
        EMAIL_BACKEND="post_office.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port.value,
        POST_OFFICE={"BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"}},
        USE_TZ=True, DEFAULT_FROM_EMAIL="rollout@example.gov", LOGGING_CONFIG=None)
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from post_office.models import Email, STATUS
    from django.core.mail import EmailMultiAlternatives
    Email.objects.all().delete()
    text = ("Dear filer,\n\nThe court is live on NextGen CM/ECF. Link your account now.\n" * 20)[:1500]
    html = ("<p>Dear filer,</p><p>The court is live on <b>NextGen CM/ECF</b>. Link your account now.</p>" * 25)[:2500]
    Email.objects.bulk_create([Email(from_email="rollout@example.gov", to=[f"filer{i}@bench.invalid"], subject="Go-live",
                                     message=text, html_message=html, status=STATUS.queued, priority=1)
                               for i in range(N)], batch_size=1000)
    def bare(label):
        m = EmailMultiAlternatives("Go-live", text, "rollout@example.gov", ["x@bench.invalid"]); m.attach_alternative(html, "text/html")
        data = m.message().as_bytes(linesep="\r\n")
        before, t = counter.value, time.monotonic()
        with smtplib.SMTP("127.0.0.1", port.value) as s:
            for i in range(N):
                s.sendmail("rollout@example.gov", [f"filer{i}@bench.invalid"], data)
        r = (counter.value - before) / (time.monotonic() - t); print(f"bare loop ({label}): {r:,.0f} msg/s"); return r
    b1 = bare("before")
    before, c0, s0, t = counter.value, resource.getrusage(resource.RUSAGE_SELF), cpu(p.pid), time.monotonic()
    call_command("send_queued_mail")  # the default: one process, THREADS_PER_PROCESS (5) threads
    el = time.monotonic() - t
    got = counter.value - before
    c1, s1 = resource.getrusage(resource.RUSAGE_SELF), cpu(p.pid)  # the sink's CPU before the bare loop after
    pcpu = (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) * 1000 / max(got, 1)
    b2 = bare("after")
    rate = got / el
    print(f"post_office send_queued_mail: {got:,} msgs in {el:.1f}s = {rate:,.0f} msg/s; CPU {pcpu:.2f} ms/msg; "
          f"sink CPU {(s1 - s0) * 1000 / max(got, 1):.2f} ms/msg; sent rows {Email.objects.filter(status=STATUS.sent).count()}")
    print(f"post_office / bare = {rate:,.0f} / {(b1 + b2) / 2:,.0f} = {rate / ((b1 + b2) / 2):.2f}")
    stop.set()

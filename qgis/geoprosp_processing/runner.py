"""Running one geoprosp tool: progress from its stderr, messages to the feedback, cancelling."""

import codecs
import os
import queue
import re
import signal
import subprocess
import threading

from .tools import no_console_window, tool_environment

# GDAL-style progress, written a few characters at a time: "0...10...20...(...)...90...100 - done."
PROGRESS_PREFIX = re.compile(r'\.*(?:\d+\.+)*(?:\d+ - done\.)?')
ERROR = re.compile(r'\bERROR\b')  # the tools write 'PROGRAM: ERROR: message'
WARNING = re.compile(r'\bwarning\b', re.IGNORECASE)
POLL_SECONDS = 0.1
KILL_AFTER_SECONDS = 5
OWN_PROCESS_GROUP = os.name == 'posix'  # so that cancelling also stops anything the tool started


class StreamReader:
    """Splits a tool's output text into progress percentages and message lines."""

    def __init__(self, on_progress, on_message):
        self.on_progress, self.on_message = on_progress, on_message
        self.pending = ''

    def feed(self, text):
        *lines, self.pending = (self.pending + text).replace('\r', '\n').split('\n')
        for line in lines:
            message = self._take_progress(line).strip()
            if message:
                self.on_message(message)
        self._take_progress(self.pending)

    def finish(self):
        self.feed('\n')

    def _take_progress(self, text):
        """Reports the progress at the start of `text`; returns the rest."""
        prefix = PROGRESS_PREFIX.match(text).group()
        percentages = re.findall(r'\d+', prefix)
        if percentages:
            self.on_progress(int(percentages[-1]))
        return text[len(prefix):]


def _pump(stream, name, chunks):
    for chunk in iter(lambda: stream.read1(65536), b''):
        chunks.put((name, chunk))
    chunks.put((name, None))


def run_tool(command, feedback, started=lambda pid: None):
    """Runs `command`; returns (exit code, its stderr messages), or None if the user cancelled.
    Progress, warnings and other messages go to `feedback` as they come; error lines do not, so that
    the caller reports them once. `started` gets the process id once the tool runs."""
    messages, last_progress = [], [-1]

    def on_progress(percent):
        if percent != last_progress[0]:
            last_progress[0] = percent
            feedback.setProgress(percent)

    def on_message(line):
        messages.append(line)
        if ERROR.search(line):
            pass  # the algorithm's exception carries the tool's errors: each is shown once
        elif WARNING.search(line):
            feedback.pushWarning(line)
        else:
            feedback.pushInfo(line)

    readers = {'stderr': StreamReader(on_progress, on_message),
               'stdout': StreamReader(lambda percent: None, feedback.pushConsoleInfo)}
    decoders = {name: codecs.getincrementaldecoder('utf-8')('replace') for name in readers}
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=tool_environment(), creationflags=no_console_window(),
                          start_new_session=OWN_PROCESS_GROUP) as process:
        started(process.pid)
        chunks = queue.Queue()
        pumps = [threading.Thread(target=_pump, args=(getattr(process, name), name, chunks), daemon=True)
                 for name in readers]
        for pump in pumps:
            pump.start()
        open_streams = len(pumps)
        while open_streams and not feedback.isCanceled():
            try:
                name, chunk = chunks.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if chunk is None:
                open_streams -= 1
                readers[name].feed(decoders[name].decode(b'', final=True))
                readers[name].finish()
            else:
                readers[name].feed(decoders[name].decode(chunk))
        canceled = bool(open_streams)
        if canceled:
            _stop(process)
        for pump in pumps:
            pump.join(KILL_AFTER_SECONDS)
        exit_code = process.wait()
    return None if canceled else (exit_code, messages)


def _stop(process):
    """SIGTERM (the tools then clean up and exit), SIGKILL if that takes too long."""
    _signal(process, signal.SIGTERM)
    try:
        process.wait(KILL_AFTER_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    _signal(process, signal.SIGKILL)  # also whatever the tool left running
    process.wait()


def _signal(process, signal_number):
    if not OWN_PROCESS_GROUP:
        if signal_number == signal.SIGTERM:
            process.terminate()
        else:
            process.kill()
        return
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass

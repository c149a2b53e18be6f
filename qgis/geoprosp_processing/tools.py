"""Finding the geoprosp binaries and reading their --json-usage description."""

import json
import os
import shutil
import subprocess

BIN_ENV = 'GEOPROSP_BIN'
REQUIRED_PROGRAMS = ('geoprosp-map', 'geoprosp-train')
TOOL_PREFIX = 'geoprosp-'


class ToolError(Exception):
    pass


def tool_environment():
    """The tools always run in the C locale, so numbers read and print with '.' decimals."""
    env = dict(os.environ)
    env.update(LC_ALL='C', LC_NUMERIC='C')
    return env


def no_console_window():
    return getattr(subprocess, 'CREATE_NO_WINDOW', 0)  # Windows only


def _executable_in(folder, program):
    for name in (program, program + '.exe'):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def installed_bin():
    """PREFIX/bin when this plugin is the copy installed with the tools (cmake --install, the .deb),
    in PREFIX/share/geoprosp/qgis/; '' otherwise."""
    qgis_folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data_folder = os.path.dirname(qgis_folder)
    if (os.path.basename(data_folder), os.path.basename(qgis_folder)) != ('geoprosp', 'qgis'):
        return ''
    return os.path.join(os.path.dirname(os.path.dirname(data_folder)), 'bin')


def find_program(program, configured_location=''):
    """Path of `program`, looked up in the provider setting, then $GEOPROSP_BIN, then the bin/
    folder of the prefix this plugin was installed in, then PATH.

    The setting and $GEOPROSP_BIN may name the folder holding the binaries, or one of the
    binaries (e.g. .../geoprosp-map), whose siblings are then used."""
    for location in (configured_location, os.environ.get(BIN_ENV, ''), installed_bin()):
        location = (location or '').strip()
        if location:
            folder = location if os.path.isdir(location) else os.path.dirname(location)
            path = _executable_in(folder, program)
            if path:
                return path
    return shutil.which(program)


def places_searched(configured_location=''):
    """Where find_program looks, in its order, for messages."""
    places = []
    for what, location in (('the provider setting', configured_location), (f'${BIN_ENV}', os.environ.get(BIN_ENV, ''))):
        location = (location or '').strip()
        places.append(f'{what} ({location})' if location else f'{what} (not set)')
    if installed_bin():
        places.append(f'the tools installed with this plugin ({installed_bin()})')
    return ', '.join(places + ['PATH'])


def program_names(configured_location=''):
    """The tools to offer: the required ones, then every other executable named geoprosp-* in
    geoprosp-map's folder, so that a new tool appears without a change to the plugin."""
    names = set(REQUIRED_PROGRAMS)
    anchor = find_program(REQUIRED_PROGRAMS[0], configured_location)
    if anchor:
        folder = os.path.dirname(anchor)
        for entry in os.listdir(folder):
            name = entry[:-len('.exe')] if entry.endswith('.exe') else entry
            if name.startswith(TOOL_PREFIX) and '.' not in name and _executable_in(folder, name):
                names.add(name)
    return sorted(names, key=lambda name: (name not in REQUIRED_PROGRAMS, name))


def read_usage(program_path):
    """The tool's own description of its options (`PROGRAM --json-usage`)."""
    try:
        done = subprocess.run([program_path, '--json-usage'], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60, env=tool_environment(),
                              creationflags=no_console_window())
    except (OSError, subprocess.SubprocessError) as error:
        raise ToolError(f'{program_path} --json-usage: {error}') from error
    if done.returncode != 0:
        stderr = done.stderr.decode(errors='replace').strip()
        raise ToolError(f'{program_path} --json-usage failed ({done.returncode}): {stderr}')
    try:
        usage = json.loads(done.stdout)
        usage['options'] = list(usage['options'])
    except (ValueError, KeyError, TypeError) as error:
        raise ToolError(f'{program_path} --json-usage: unreadable output: {error}') from error
    return usage

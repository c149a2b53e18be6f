"""The geoprosp Processing provider: one algorithm per geoprosp binary found."""

from processing.core.ProcessingConfig import ProcessingConfig, Setting
from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider

from .algorithm import GeoprospAlgorithm
from .tools import BIN_ENV, OPTIONAL_PROGRAMS, REQUIRED_PROGRAMS, ToolError, find_program, read_usage

BIN_SETTING = 'GEOPROSP_BIN'


class GeoprospProvider(QgsProcessingProvider):
    def id(self):  # noqa: N802 (QGIS's names)
        return 'geoprosp'

    def name(self):
        return 'geoprosp'

    def longName(self):
        return 'geoprosp mineral prospectivity'

    def load(self):
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(
            self.name(), BIN_SETTING,
            f'geoprosp binaries: their folder, or the path of geoprosp-map (empty: ${BIN_ENV}, then the installed tools, then PATH)',
            '', valuetype=Setting.STRING))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        ProcessingConfig.removeSetting(BIN_SETTING)

    def loadAlgorithms(self):
        configured = ProcessingConfig.getSetting(BIN_SETTING) or ''
        for program in REQUIRED_PROGRAMS + OPTIONAL_PROGRAMS:
            path = find_program(program, configured)
            if path is None:
                if program in REQUIRED_PROGRAMS:
                    log(f'{program} not found: set Processing › Providers › geoprosp, or ${BIN_ENV}, or PATH',
                        Qgis.Warning)
                continue
            try:
                self.addAlgorithm(GeoprospAlgorithm(path, read_usage(path)))
            except ToolError as error:
                log(str(error), Qgis.Critical)


def log(message, level):
    QgsMessageLog.logMessage(message, 'geoprosp', level)

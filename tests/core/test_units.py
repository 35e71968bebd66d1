import numpy as np
import pytest

from sleepscorer.core.units import peak, shown_unit, si_prefix, volts_per_unit


@pytest.mark.parametrize("value,expected", [(4.6, (1.0, "")), (5e-5, (1e6, "µ")),
                                            (0.0012, (1e3, "m")), (1e-3, (1e3, "m")),
                                            (0.0, (1.0, "")), (2500.0, (1e-3, "k"))])
def test_si_prefix_brings_a_value_to_1_to_1000(value, expected):
    factor, prefix = si_prefix(value)
    assert prefix == expected[1] and factor == pytest.approx(expected[0])


def test_shown_unit_of_voltages_and_other_units():
    assert volts_per_unit("uV") == 1e-6 and volts_per_unit("V") == 1.0
    assert volts_per_unit("g") is None and volts_per_unit("") is None
    factor, unit = shown_unit("uV", 4.6e6)  # a 4.6 V trigger held in µV
    assert unit == "V" and factor * 4.6e6 == pytest.approx(4.6)
    assert shown_unit("uV", 230.0)[1] == "µV" and shown_unit("uV")[1] == "µV"
    assert shown_unit("V", 0.004)[1] == "mV"
    assert shown_unit("degC", 37.0) == (1.0, "degC") and shown_unit("", 3.0) == (1.0, "")


def test_peak_finds_pulses_a_sparse_sample_misses():
    data = np.full(3_000_000, 0.07, np.float32)
    data[1_000_001:1_000_006] = 4.59  # one 5-sample pulse between every-30th samples
    data[5] = np.nan
    assert peak(data) == pytest.approx(4.59)
    assert peak(np.zeros(0, np.float32)) == 0.0

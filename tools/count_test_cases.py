"""Print `tests: N passed, N failed, N skipped` summed over the JUnit XML files Bazel kept.

    python tools/count_test_cases.py BAZEL_TESTLOGS_DIR [MORE_DIRS...]

Exits 1 when no test case ran at all (a run that tests nothing must not look green).
"""

import pathlib
import sys
import xml.etree.ElementTree as ET


def count(testlogs):
    """Return (passed, failed, skipped) over every test.xml under `testlogs`."""
    passed = failed = skipped = 0
    for xml in pathlib.Path(testlogs).rglob("test.xml"):
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError:
            failed += 1
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


if __name__ == "__main__":
    passed, failed, skipped = (sum(column) for column in zip(*(count(d) for d in sys.argv[1:])))
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or passed == 0 else 0)

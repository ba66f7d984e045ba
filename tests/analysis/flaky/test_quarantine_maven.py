"""The Surefire excludes file is accepted by real Maven (offline, from the local repository) when installed."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.analysis.flaky.readmodels import QuarantinedTest
from argus.report.quarantine import export

NOW = datetime(2026, 2, 1, tzinfo=UTC)
POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId><artifactId>billing</artifactId><version>1</version>
  <properties><maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <dependencies><dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>
    <version>5.11.4</version><scope>test</scope></dependency></dependencies>
  <build><plugins>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId>
      <version>3.13.0</version></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId>
      <version>3.3.1</version></plugin>
    <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId>
      <version>3.2.5</version></plugin>
  </plugins></build>
</project>
"""
TEST = """package com.acme.billing;
import org.junit.jupiter.api.Test;
class CouponValidationTest {
  @Test void rejectsExpired() { throw new AssertionError("flaky"); }
  @Test void rejectsExpiredTwice() {}
}
"""


def _mvn(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    mvn = shutil.which("mvn")
    if mvn is None:
        pytest.skip("mvn is not installed: the Surefire form is checked by its golden file only")
    proc = subprocess.run([mvn, "-o", "-B", "test", *args], cwd=project, capture_output=True, text=True, timeout=600)
    if "could not be resolved" in proc.stdout or "has not been downloaded" in proc.stdout:
        pytest.skip("Maven's local repository lacks surefire 3.2.5 / junit-jupiter 5.11.4 (offline)")
    return proc


def test_surefire_runs_everything_but_the_quarantined_method(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    source = tmp_path / "src" / "test" / "java" / "com" / "acme" / "billing"
    source.mkdir(parents=True)
    (source / "CouponValidationTest.java").write_text(TEST)
    flaky = QuarantinedTest("com.acme.billing.CouponValidationTest::rejectsExpired", None, "quarantined", 0.9,
                            None, NOW, "com.acme.billing.CouponValidationTest", "rejectsExpired")
    (tmp_path / "quarantine.txt").write_text(export([flaky], "surefire", project="shop", now=NOW).text)
    without = _mvn(tmp_path)
    assert without.returncode == 1 and "Tests run: 2, Failures: 1" in without.stdout, without.stdout[-2000:]
    proc = _mvn(tmp_path, "-Dsurefire.excludesFile=quarantine.txt")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Tests run: 1, Failures: 0, Errors: 0, Skipped: 0" in proc.stdout, proc.stdout[-3000:]

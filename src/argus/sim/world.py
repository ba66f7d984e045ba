"""Build one project's static world: authors, source modules, tests and their module map, flaky tests."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from argus.sim.code import Lines, new_source, test_file_lines
from argus.sim.config import SimConfig
from argus.sim.model import Author, Dialect, FlakyCategory, FlakySpec, SourceFile, TestSpec
from argus.sim.names import (
    AUTHORS,
    JAVA_DEPENDENCIES,
    MODULE_SUFFIXES,
    OBJECTS,
    PARAMS,
    PROFILES,
    PY_DEPENDENCIES,
    SUBPACKAGES,
    VERBS,
    ProjectProfile,
    camel,
)
from argus.sim.rng import stream

TESTS_PER_MODULE = 5
SHARED_MODULES = 3  # the first modules of each language are helpers many tests go through
CATEGORY_WEIGHTS: dict[FlakyCategory, float] = {
    FlakyCategory.TIMING: 0.25, FlakyCategory.ORDER: 0.12, FlakyCategory.NETWORK: 0.18,
    FlakyCategory.RESOURCE: 0.1, FlakyCategory.RANDOMNESS: 0.1, FlakyCategory.TIME: 0.1,
    FlakyCategory.CONCURRENCY: 0.15,
}


@dataclass
class World:
    name: str
    profile: ProjectProfile
    authors: list[Author]
    sources: list[SourceFile]
    contents: dict[str, Lines]  # initial file contents (sources, test files, manifests)
    covered: dict[str, float]  # source path → covered fraction
    tests: list[TestSpec]
    test_params: dict[int, tuple[str, ...]]  # uid → parameter values of its function (for test files)
    flaky: dict[int, FlakySpec]
    py_deps: dict[str, str]
    java_deps: dict[str, str]
    module_of: dict[str, SourceFile] = field(default_factory=dict)

    def tests_covering(self, path: str) -> list[TestSpec]:
        return [t for t in self.tests if path in t.modules]


def project_name(index: int) -> str:
    prof = PROFILES[index % len(PROFILES)]
    return prof.slug if index < len(PROFILES) else f"{prof.slug}-{index // len(PROFILES) + 1}"


def build_world(cfg: SimConfig, index: int) -> World:
    """Create the project world for project number ``index`` (deterministic in ``cfg.seed``)."""
    name = project_name(index)
    prof = PROFILES[index % len(PROFILES)]
    rng = stream(cfg.seed, "world", name)
    authors = _authors(cfg, rng)
    n_py = max(5, round(cfg.tests * prof.python_share))
    n_java = max(5, cfg.tests - n_py)
    module_names = _module_names(prof, rng, math.ceil(n_py / TESTS_PER_MODULE) + math.ceil(n_java / TESTS_PER_MODULE))
    n_py_mod = math.ceil(n_py / TESTS_PER_MODULE)
    sources: list[SourceFile] = []
    contents: dict[str, Lines] = {}
    covered: dict[str, float] = {}
    java_dir = prof.java_package.replace(".", "/")
    for i, mod in enumerate(module_names):
        if i < n_py_mod:
            sub = "core" if i < SHARED_MODULES else SUBPACKAGES[i % len(SUBPACKAGES)]
            sf = SourceFile(f"src/{prof.py_package}/{sub}/{mod}.py", "py", mod)
            contents[sf.path] = new_source(rng, "py", mod, prof.py_package, rng.randint(2, 6))
        else:
            sf = SourceFile(f"java/src/main/java/{java_dir}/{camel(mod, True)}.java", "java", mod)
            contents[sf.path] = new_source(rng, "java", mod, prof.java_package, rng.randint(2, 6))
        sources.append(sf)
        covered[sf.path] = min(0.97, max(0.35, rng.gauss(0.78, 0.12)))
    py_src = [s for s in sources if s.lang == "py"]
    java_src = [s for s in sources if s.lang == "java"]
    tests: list[TestSpec] = []
    params: dict[int, tuple[str, ...]] = {}
    _make_tests(rng, prof, py_src, n_py, Dialect.PYTEST, tests, params)
    _make_tests(rng, prof, java_src, n_java, Dialect.SUREFIRE, tests, params)
    py_deps = dict(sorted(rng.sample(PY_DEPENDENCIES, min(10, len(PY_DEPENDENCIES)))))
    java_deps = dict(sorted(rng.sample(JAVA_DEPENDENCIES, min(7, len(JAVA_DEPENDENCIES)))))
    world = World(name, prof, authors, sources, contents, covered, tests, params, {}, py_deps, java_deps,
                  {s.path: s for s in sources})
    world.flaky = _flaky(cfg, rng, world)
    for file in sorted({t.file for t in tests}):
        contents[file] = test_file_content(world, [t for t in tests if t.file == file])
    return world


def test_file_content(world: World, tests: list[TestSpec] | tuple[TestSpec, ...], extras: tuple[str, ...] = ()) -> Lines:
    """Source of a test file holding ``tests`` (one function per distinct function name) and helper ``extras``."""
    seen: dict[str, tuple[str, ...]] = {}
    for t in tests:
        seen.setdefault(t.function, world.test_params.get(t.uid, ()))
    first = tests[0]
    lang = "py" if first.dialect is Dialect.PYTEST else "java"
    module = world.module_of[first.modules[0]].module
    package = world.profile.py_package if lang == "py" else world.profile.java_package
    return test_file_lines(lang, module, package, list(seen.items()), extras)


def _authors(cfg: SimConfig, rng: random.Random) -> list[Author]:
    picked = rng.sample(AUTHORS, min(cfg.authors, len(AUTHORS)))
    out = []
    for i, (full, handle) in enumerate(picked):
        night_owl = i == 1
        careless = i == 2
        out.append(Author(
            name=full, email=f"{handle}@acme.example", handle=handle.split(".")[0],
            tz_minutes=rng.choice((0, 60, 60, 120, -300, 330, 540)),
            mean_hour=22.0 if night_owl else rng.uniform(9.5, 16.0), hour_sd=1.5 if night_owl else rng.uniform(1.2, 2.5),
            size_mu=math.log(rng.uniform(8, 90)), bug_propensity=2.6 if careless else rng.lognormvariate(0, 0.35),
            weight=rng.lognormvariate(0, 0.6), branch_pref=min(0.95, max(0.05, rng.gauss(cfg.branch_share, 0.2))),
        ))
    return out


def _module_names(prof: ProjectProfile, rng: random.Random, count: int) -> list[str]:
    names = [prof.nouns[i % len(prof.nouns)] + MODULE_SUFFIXES[(i // len(prof.nouns)) % len(MODULE_SUFFIXES)]
             for i in range(len(prof.nouns) * len(MODULE_SUFFIXES))]
    head, tail = names[: len(prof.nouns)], names[len(prof.nouns):]
    rng.shuffle(head)
    rng.shuffle(tail)
    ordered = head + tail
    out = [ordered[i % len(ordered)] + ("" if i < len(ordered) else f"_v{i // len(ordered) + 1}") for i in range(count)]
    return out


def _make_tests(rng: random.Random, prof: ProjectProfile, srcs: list[SourceFile], n: int, dialect: Dialect,
                out: list[TestSpec], params: dict[int, tuple[str, ...]]) -> None:
    java_dir = prof.java_package.replace(".", "/")
    per_module = [n // len(srcs) + (1 if i < n % len(srcs) else 0) for i in range(len(srcs))]
    for src, quota in zip(srcs, per_module, strict=True):
        used: set[str] = set()
        made = 0
        while made < quota:
            base = f"{rng.choice(VERBS)}_{rng.choice(OBJECTS)}"
            if base in used:
                continue
            used.add(base)
            values: tuple[str, ...] = ()
            if quota - made >= 2 and rng.random() < 0.2:
                values = rng.choice(PARAMS)[: quota - made]
            deps = [src.path]
            if rng.random() < 0.35:
                shared = srcs[: SHARED_MODULES]
                deps += [s.path for s in rng.sample(shared, rng.randint(1, min(2, len(shared)))) if s.path != src.path]
            duration = rng.lognormvariate(-3.0, 1.3)
            for j, value in enumerate(values or (None,)):
                uid = len(out)
                if dialect is Dialect.PYTEST:
                    sub = src.path.split("/")[-2]
                    file = f"tests/{sub}/test_{src.module}.py"
                    fn = f"test_{base}"
                    name = f"{fn}[{value}]" if value is not None else fn
                    classname = file[:-3].replace("/", ".")
                    test_id = f"{file}::{name}"
                else:
                    cls = f"{camel(src.module, True)}Test"
                    file = f"java/src/test/java/{java_dir}/{cls}.java"
                    fn = camel(base)
                    name = f"{fn}(String)[{j + 1}]" if value is not None else fn
                    classname = f"{prof.java_package}.{cls}"
                    test_id = f"{classname}.{name}"
                skip = "requires the hardware security module" if rng.random() < 0.01 else None
                out.append(TestSpec(uid, dialect, test_id, classname, name, file, fn, tuple(deps),
                                    round(duration, 4), skip))
                params[uid] = values
                made += 1


def _flaky(cfg: SimConfig, rng: random.Random, world: World) -> dict[int, FlakySpec]:
    candidates = [t for t in world.tests if t.skip_reason is None]
    count = max(2, round(cfg.flaky_share * len(world.tests)))
    chosen = sorted(rng.sample(candidates, min(count, len(candidates))), key=lambda t: t.uid)
    cats = list(CATEGORY_WEIGHTS)
    weights = [CATEGORY_WEIGHTS[c] for c in cats]
    out: dict[int, FlakySpec] = {}
    for t in chosen:
        cat = rng.choices(cats, weights)[0]
        rate = math.exp(rng.uniform(math.log(cfg.flaky_rate_min), math.log(cfg.flaky_rate_max)))
        env: tuple[str, str] | None = None
        if rng.random() < cfg.flaky_env_specific_share:
            key = "os" if rng.random() < 0.6 else ("python" if t.dialect is Dialect.PYTEST else "java")
            values = sorted({dict(e)[key] for e in cfg.environments} - {"linux", "3.11", "17"})
            env = (key, rng.choice(values)) if values else None
            rate = min(0.6, rate * 2)  # concentrated on fewer runs
        group = f"flaky-{cat.value}-{t.dialect.value}-{rng.randint(1, 2)}"
        out[t.uid] = FlakySpec(t.uid, cat, round(rate, 4), env, group)
    return out

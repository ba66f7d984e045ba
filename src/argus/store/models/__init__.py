"""All models; importing this package registers every table on ``Base.metadata``.

Each area keeps its models in its own module; add a module's import here.
"""

from argus.store.models.delivery import (
    DeliveryCommit,
    DeliveryDeployment,
    DeliveryDeploymentCommit,
    DeliveryIncident,
    DeliveryPipeline,
    DeliveryPipelineCommit,
    DeliveryPrComment,
    DeliveryPrCommit,
    DeliveryPullRequest,
    DeliverySyncState,
    DeliveryTask,
    DeliveryWorkItem,
)
from argus.store.models.flaky import FlakyTestState
from argus.store.models.incidents import (
    Alert,
    AlertReceipt,
    Incident,
    IncidentNotification,
    IncidentTransition,
    ServiceNode,
)
from argus.store.models.insights import EvidenceRow, Feedback, InsightRow
from argus.store.models.investigation import HypothesisOutcome, IncidentInvestigation, IncidentSnapshot
from argus.store.models.issues import CommitIssueLink, Issue
from argus.store.models.jobs import JobRecord
from argus.store.models.metrics import MetricPoint, MetricSeries
from argus.store.models.ops import DeadLetter, FailureCluster
from argus.store.models.quality import CoverageFile, CoverageReport, VulnFinding, VulnReport
from argus.store.models.query import QueryExample
from argus.store.models.risk import ModelVersion, RiskPrediction
from argus.store.models.runbooks import Postmortem, Runbook, RunbookAction, RunbookFeedback
from argus.store.models.selection import CoverageMap, CoverageMapEntry
from argus.store.models.tenancy import ApiToken, AuditLog, Organisation, Project
from argus.store.models.testing import TestCase, TestReport, TestResult, TestRun
from argus.store.models.vcs import BugLink, Commit, CommitFeatures, CommitFile, Deployment, GitIngestState

__all__ = [
    "Alert",
    "AlertReceipt",
    "ApiToken",
    "AuditLog",
    "BugLink",
    "Commit",
    "CommitFeatures",
    "CommitFile",
    "CommitIssueLink",
    "CoverageFile",
    "CoverageMap",
    "CoverageMapEntry",
    "CoverageReport",
    "DeadLetter",
    "DeliveryCommit",
    "DeliveryDeployment",
    "DeliveryDeploymentCommit",
    "DeliveryIncident",
    "DeliveryPipeline",
    "DeliveryPipelineCommit",
    "DeliveryPrComment",
    "DeliveryPrCommit",
    "DeliveryPullRequest",
    "DeliverySyncState",
    "DeliveryTask",
    "DeliveryWorkItem",
    "Deployment",
    "EvidenceRow",
    "FailureCluster",
    "Feedback",
    "FlakyTestState",
    "GitIngestState",
    "HypothesisOutcome",
    "Incident",
    "IncidentInvestigation",
    "IncidentNotification",
    "IncidentSnapshot",
    "IncidentTransition",
    "InsightRow",
    "Issue",
    "JobRecord",
    "MetricPoint",
    "MetricSeries",
    "ModelVersion",
    "Organisation",
    "Postmortem",
    "Project",
    "QueryExample",
    "RiskPrediction",
    "Runbook",
    "RunbookAction",
    "RunbookFeedback",
    "ServiceNode",
    "TestCase",
    "TestReport",
    "TestResult",
    "TestRun",
    "VulnFinding",
    "VulnReport",
]

"""REST API for imports under /api/v1/imports, so an ERP can push files without the browser.

The same steps as the upload page, through the same service functions: upload a file (what it
holds and the file itself, as multipart form data), check it with a column mapping (the preview:
nothing is written), then commit it (every row or, on any error, none). Small files run within
the request; larger ones in the background, answered 202, and the client polls the import for
its progress. A person sees only their own imports, imports only the kinds their role may
(``selectors.import_kinds``), and never gets the uploaded file back.
"""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kehu.accounts.api import AuthenticatedApiRequest

from . import services
from .mapping import FIELDS, KIND_CHOICES, KINDS, field_names
from .models import ImportJob, JobStatus
from .selectors import assign_choices, import_kinds, job_list


class CanImport(permissions.BasePermission):
    message = _("Your role does not import data.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and import_kinds(user=request.user))


@extend_schema_field({"type": "string", "enum": KINDS}, component_name="ImportKind")
class ImportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=KIND_CHOICES, **kwargs)


@extend_schema_field({"type": "string", "enum": JobStatus.values}, component_name="ImportStatus")
class ImportStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=JobStatus.choices, **kwargs)


# --- what an import shows --------------------------------------------------------------------


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The row number in the file, as a spreadsheet shows it."))
    column = serializers.CharField(help_text=_("The column's header and letter; empty for the whole row."))
    value = serializers.CharField(help_text=_("The cell as read, shortened to 100 characters."))
    reason = serializers.CharField()


class AssignedCountSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text=_("The person who gets the new customers."))
    count = serializers.IntegerField()


class UnknownValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("The value as the file writes it."))
    rows = serializers.IntegerField(help_text=_("How many rows have it."))
    row = serializers.IntegerField(help_text=_("The first row with it."))


class UnknownFieldSerializer(serializers.Serializer):
    field = serializers.CharField()
    values = UnknownValueSerializer(many=True)


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text=_("Rows read."))
    created = serializers.IntegerField(help_text=_("Rows created, or to create when only checked."))
    updated = serializers.IntegerField(help_text=_("Rows updated, or to update when only checked."))
    skipped = serializers.IntegerField(help_text=_("Rows unchanged or skipped."))
    error_count = serializers.IntegerField()
    errors = RowErrorSerializer(many=True, help_text=_("The first errors, by row."))  # type: ignore[assignment]  # a declared field named like a Field attribute
    committed = serializers.BooleanField(help_text=_("Whether the rows were written."))
    problem = serializers.CharField(help_text=_("A problem with the whole file (unreadable, a required "
                                                "column missing, not allowed); empty when none."))
    assigned = AssignedCountSerializer(many=True, help_text=_("New customers per owner."))
    seconds = serializers.FloatField(allow_null=True, help_text=_("How long the run took."))
    unknown = UnknownFieldSerializer(many=True, help_text=_(
        "Reference values Kehu does not know, per field; answer them with the import's values action."))


RESULT_DEFAULTS: dict[str, Any] = {
    "rows": 0, "created": 0, "updated": 0, "skipped": 0, "error_count": 0, "errors": [], "committed": False,
    "problem": "", "assigned": [], "seconds": None, "unknown": [],
}


class ImportJobSerializer(serializers.ModelSerializer):
    kind = ImportKindField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status = ImportStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    header = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text=_("The file's column headers, in order."))
    mapping = serializers.ListField(
        child=serializers.CharField(allow_blank=True), read_only=True,
        help_text=_("The field each column goes to, in the header's order; empty for a column left out."),
    )
    percent = serializers.IntegerField(read_only=True, help_text=_("done of total, in per cent."))
    running = serializers.BooleanField(read_only=True, help_text=_("Being checked or imported right now."))
    result = serializers.SerializerMethodField(
        help_text=_("The last check's or import's outcome; null until the file has been checked."))

    class Meta:
        model = ImportJob
        # Never the uploaded file itself (``data``).
        fields = ["id", "kind", "kind_label", "filename", "size", "header", "mapping", "assign", "status",
                  "status_label", "done", "total", "percent", "running", "result", "created_at", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {"assign": {"allow_blank": True}}

    @extend_schema_field(ImportResultSerializer(allow_null=True))
    def get_result(self, job: ImportJob) -> dict[str, Any] | None:
        if not job.result:
            return None
        result = RESULT_DEFAULTS | {k: v for k, v in job.result.items() if k in RESULT_DEFAULTS}
        result["assigned"] = [{"owner": owner, "count": count} for owner, count in result["assigned"]]
        return ImportResultSerializer(result).data


class ImportFieldSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("What to put in the mapping."))
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute
    required = serializers.BooleanField()  # type: ignore[assignment]  # a declared field named like a Field attribute


class AssignChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute


class ImportKindInfoSerializer(serializers.Serializer):
    kind = ImportKindField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field named like a Field attribute
    fields = ImportFieldSerializer(many=True, help_text=_("The fields a column may be mapped to."))  # type: ignore[assignment]  # a declared field named like a Field attribute
    assign_choices = AssignChoiceSerializer(
        many=True, help_text=_("Where new customers without an owner column may go (the check's assign)."))


# --- what a client sends ---------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    kind = ImportKindField(help_text=_("What the file holds; one of the kinds your role may import."))
    file = serializers.FileField(help_text=_(".xlsx, .xls, .ods or .csv (UTF-8 or GBK)"))

    def validate_kind(self, kind: str) -> str:
        if kind not in dict(import_kinds(user=self.context["request"].user)):
            raise serializers.ValidationError(_("Your role does not import this kind of data."))
        return kind


class ImportCheckSerializer(serializers.Serializer):
    mapping = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=40), required=False, max_length=1000,
        help_text=_("The field each column goes to, in the header's order; \"\" leaves a column out. "
                    "Left out, the mapping shown on the import (the saved or guessed one)."),
    )
    assign = serializers.CharField(
        required=False, allow_blank=True, max_length=40,
        help_text=_("Who gets new customers without an owner column: one of the kind's assign_choices. "
                    "Left out, the choice made before."),
    )

    def validate_mapping(self, mapping: list[str]) -> list[str]:
        job: ImportJob = self.context["job"]
        if len(mapping) > len(job.header):
            raise serializers.ValidationError(
                _("The file has %(columns)d columns; the mapping names %(given)d.")
                % {"columns": len(job.header), "given": len(mapping)})
        allowed = field_names(job.kind)
        unknown = sorted({name for name in mapping if name and name not in allowed})
        if unknown:
            raise serializers.ValidationError(
                _("Not a field of this kind of import: %(names)s. The fields are: %(fields)s.")
                % {"names": ", ".join(unknown), "fields": ", ".join(f.name for f in FIELDS[job.kind])})
        return mapping

    def validate_assign(self, assign: str) -> str:
        job: ImportJob = self.context["job"]
        if assign and assign not in dict(assign_choices(user=self.context["request"].user, kind=job.kind)):
            raise serializers.ValidationError(_("Choose who gets the new customers from the list."))
        return assign


class ValueAnswerSerializer(serializers.Serializer):
    field = serializers.CharField(max_length=40)
    value = serializers.CharField(max_length=100, help_text=_("The value as the file writes it."))
    answer = serializers.CharField(max_length=40, allow_blank=True, help_text=_(
        "A known value's key (a choice's code, a user's or an industry's id), \"+\" to add it where you may, "
        "or \"\" to forget an earlier answer."))


class ImportValuesSerializer(serializers.Serializer):
    values = ValueAnswerSerializer(many=True, max_length=1000)  # type: ignore[call-arg]  # passed on to the list serializer


class ImportFilterSerializer(serializers.Serializer):
    kind = ImportKindField(required=False, allow_blank=True)
    status = ImportStatusField(required=False, allow_blank=True)


def _run_responses() -> dict[int, Any]:
    return {200: ImportJobSerializer, 202: ImportJobSerializer}


@extend_schema_view(
    list=extend_schema(summary=_("List your imports, newest first"), parameters=[ImportFilterSerializer]),
    retrieve=extend_schema(summary=_("Open one of your imports: status, progress and result")),
    create=extend_schema(summary=_("Upload a file to import"),
                         request={"multipart/form-data": ImportUploadSerializer},
                         responses={201: ImportJobSerializer}),
)
class ImportViewSet(viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    permission_classes = [CanImport]
    queryset = ImportJob.objects.none()  # for the schema; rows come from the selectors

    def _job(self, request: AuthenticatedApiRequest, pk: str) -> ImportJob:
        try:
            return services.job_get(user=request.user, pk=pk)
        except (ImportJob.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def _job_to_run(self, request: AuthenticatedApiRequest, pk: str) -> ImportJob:
        job = self._job(request, pk)
        if job.kind not in dict(import_kinds(user=request.user)):
            raise PermissionDenied(_("Your role does not import this kind of data."))
        return job

    def _ran(self, request: AuthenticatedApiRequest, job: ImportJob, backgrounded: bool) -> Response:
        job = self._job(request, str(job.pk))
        return Response(ImportJobSerializer(job).data,
                        status=status.HTTP_202_ACCEPTED if backgrounded else status.HTTP_200_OK)

    def list(self, request: AuthenticatedApiRequest) -> Response:
        params = ImportFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = self.paginate_queryset(job_list(user=request.user, **params.validated_data))
        return self.get_paginated_response(ImportJobSerializer(page, many=True).data)

    def retrieve(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        return Response(ImportJobSerializer(self._job(request, pk)).data)

    def create(self, request: AuthenticatedApiRequest) -> Response:
        form = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        job = services.job_create(user=request.user, kind=form.validated_data["kind"], filename=upload.name,
                                  data=upload.read())
        return Response(ImportJobSerializer(self._job(request, str(job.pk))).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary=_("Check the file with a column mapping: the preview, nothing is written "
                             "(202 while it runs in the background)"),
                   request=ImportCheckSerializer, responses=_run_responses())
    @action(detail=True, methods=["post"])
    def check(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        job = self._job_to_run(request, pk)
        form = ImportCheckSerializer(data=request.data, context={**self.get_serializer_context(), "job": job})
        form.is_valid(raise_exception=True)
        backgrounded = services.job_start(job=job, commit=False, mapping=form.validated_data.get("mapping"),
                                          assign=form.validated_data.get("assign"))
        return self._ran(request, job, backgrounded)

    @extend_schema(summary=_("Say what the file's unknown values mean, once for all their rows, and check "
                             "it again (202 while it runs in the background)"),
                   request=ImportValuesSerializer, responses=_run_responses())
    @action(detail=True, methods=["post"])
    def values(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        job = self._job_to_run(request, pk)
        form = ImportValuesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        answers = [(a["field"], a["value"], a["answer"]) for a in form.validated_data["values"]]
        backgrounded = services.job_answer_values(job=job, answers=answers)
        return self._ran(request, job, backgrounded)

    @extend_schema(summary=_("Import a checked file without errors: every row or none "
                             "(202 while it runs in the background)"),
                   request=None, responses=_run_responses())
    @action(detail=True, methods=["post"])
    def commit(self, request: AuthenticatedApiRequest, pk: str) -> Response:
        job = self._job_to_run(request, pk)
        backgrounded = services.job_start(job=job, commit=True)
        return self._ran(request, job, backgrounded)

    @extend_schema(summary=_("The kinds of data you may import, with their fields and rules for new customers"),
                   responses=ImportKindInfoSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def kinds(self, request: AuthenticatedApiRequest) -> Response:
        user = request.user
        rows = [
            {"kind": kind, "label": label,
             "fields": [{"name": f.name, "label": f.label, "required": f.required} for f in FIELDS[kind]],
             "assign_choices": [{"value": v, "label": lbl} for v, lbl in assign_choices(user=user, kind=kind)]}
            for kind, label in import_kinds(user=user)
        ]
        return Response(ImportKindInfoSerializer(rows, many=True).data)


router = SimpleRouter(trailing_slash=False)
router.register("imports", ImportViewSet, basename="api-import")
urlpatterns = router.urls

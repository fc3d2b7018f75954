"""The templates against the issue's contract and against the code.

- every resource the deployment needs is declared, keyless (no shared key, no local auth, Entra-only
  PostgreSQL) and configured as the app expects;
- each role assignment uses the right built-in role, is scoped to the right resource and is named
  guid(scope.id, principalId, roleDefinitionId);
- every setting the code reads (shared/core/config.py and any os.environ read under shared/ and functions/,
  found at test time) is set by the template or listed below as local-only, and every app setting the
  template sets is read by the code or is a Functions host setting;
- azure.yaml and the GitHub workflows point at the right things.
"""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml

from tests.infra import bicep_model as bm

ROOT = bm.PROJECT_ROOT
MODULES = bm.BICEP_DIR / "modules"

# Read by the code, deliberately not set in Azure.
LOCAL_ONLY = {
    "AzureWebJobsStorage": "a connection string (Azurite); in Azure the host and the app use the keyless "
                           "AzureWebJobsStorage__* settings",
    "POSTGRES_URL": "the local embedded server; Azure uses POSTGRES_HOST/USER with an Entra token",
    "AZURE_OPENAI_API_KEY": "local API stand-ins; the Azure OpenAI account has local auth disabled",
    "OPENAI_API_KEY": "the alternative openai provider (not deployed)",
    "OPENAI_BASE_URL": "the alternative openai provider (not deployed)",
    "OPENAI_CHAT_MODEL": "the alternative openai provider (not deployed)",
    "OPENAI_IMAGE_MODEL": "the alternative openai provider (not deployed)",
    "SPEECH_KEY": "local stand-ins; the Speech account has local auth disabled",
    "LOCAL_USER_ID": "the user id when no Static Web Apps principal header is present (local runs)",
}
# Settings the Functions host itself reads.
HOST_SETTING = re.compile(r"^(FUNCTIONS_|APPLICATIONINSIGHTS_|AzureWebJobs|WEBSITE_|AzureFunctionsJobHost__)")
# Set by the platform on every Function App (the code may read them; the template must not set them).
PLATFORM_SETTING = re.compile(r"^(WEBSITE_|FUNCTIONS_|CONTAINER_NAME$)")

ROLES = {  # built-in role definition id → (role, resource type it is scoped to)
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": ("Storage Blob Data Owner", "Microsoft.Storage/storageAccounts"),
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": ("Storage Queue Data Contributor", "Microsoft.Storage/storageAccounts"),
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": ("Storage Table Data Contributor", "Microsoft.Storage/storageAccounts"),
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": ("Cognitive Services OpenAI User", "Microsoft.CognitiveServices/accounts"),
    "f2dc8367-1007-4938-bd23-fe263f013447": ("Cognitive Services Speech User", "Microsoft.CognitiveServices/accounts"),
    "3913510d-42f4-4e42-8a64-420c390055eb": ("Monitoring Metrics Publisher", "Microsoft.Insights/components"),
}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def module(name: str) -> bm.BicepFile:
    return bm.load(MODULES / name)


def one(bicep: bm.BicepFile, type_: str) -> bm.Declaration:
    found = [r for r in bicep.resources_of(type_) if not r.existing]
    assert len(found) == 1, f"{bicep.name}: expected one {type_}, found {len(found)}"
    return found[0]


def declared_types() -> set[str]:
    return {r.type for _, r in bm.all_resources() if not r.existing}


# ---------------------------------------------------------------------------------------------------
# Resources


def test_every_resource_type_is_declared():
    needed = {
        "Microsoft.Resources/resourceGroups",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Web/serverfarms",
        "Microsoft.Web/sites",
        "Microsoft.Web/sites/config",
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.Insights/components",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Storage/storageAccounts/blobServices/containers",
        "Microsoft.Storage/storageAccounts/managementPolicies",
        "Microsoft.Storage/storageAccounts/queueServices/queues",
        "Microsoft.Storage/storageAccounts/tableServices/tables",
        "Microsoft.EventGrid/systemTopics",
        "Microsoft.EventGrid/systemTopics/eventSubscriptions",
        "Microsoft.DBforPostgreSQL/flexibleServers",
        "Microsoft.DBforPostgreSQL/flexibleServers/configurations",
        "Microsoft.DBforPostgreSQL/flexibleServers/databases",
        "Microsoft.DBforPostgreSQL/flexibleServers/administrators",
        "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules",
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.Web/staticSites",
        "Microsoft.Web/staticSites/linkedBackends",
        "Microsoft.Authorization/roleAssignments",
    }
    missing = needed - declared_types()
    assert not missing, f"not declared: {sorted(missing)}"


def test_resource_declarations_carry_api_versions():
    for bicep, res in bm.all_resources():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", res.api_version), (
            f"{bicep.name}:{res.line}: {res.symbol} has no valid api version: {res.target!r}")


def test_function_app_is_flex_consumption_python_311_with_identity_deployment():
    app = module("function-app.bicep")
    plan = one(app, "Microsoft.Web/serverfarms")
    assert plan.value("sku") == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan.value("properties", "reserved") is True
    site = one(app, "Microsoft.Web/sites")
    assert "functionapp" in site.value("kind") and "linux" in site.value("kind")
    config = site.get("properties", "functionAppConfig")
    assert bm.literal(bm.get_path(config, "runtime")) == {"name": "python", "version": "3.11"}
    assert bm.text(bm.get_path(config, "scaleAndConcurrency", "instanceMemoryMB")) == "instanceMemoryMB"
    assert "instanceMemoryMB" in app.params
    assert "instanceMemoryMB" in bm.object_props(bm.load(bm.MAIN).module("api").get("params"))
    storage = bm.get_path(config, "deployment", "storage")
    assert bm.literal(bm.get_path(storage, "type")) == "blobContainer"
    assert bm.literal(bm.get_path(storage, "authentication", "type")) == "UserAssignedIdentity"
    assert site.value("identity", "type") == "UserAssigned"
    assert site.value("properties", "httpsOnly") is True
    assert site.value("tags") is not None and "'azd-service-name': 'api'" in bm.text(site.get("tags"))
    # no publishing passwords
    policies = app.resources_of("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {p.value("name") for p in policies} == {"ftp", "scm"}
    assert all(p.value("properties", "allow") is False for p in policies)


def test_storage_is_keyless_and_private():
    sa = one(module("storage.bicep"), "Microsoft.Storage/storageAccounts")
    props = sa.value("properties")
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_storage_has_the_app_containers_and_the_deployment_container():
    from shared.storage.blobs import CONTAINERS

    main = bm.load(bm.MAIN)
    assert main.variables["appContainers"] is not None
    assert bm.literal(main.variables["appContainers"]) == list(CONTAINERS)
    params = main.module("storage").get("params")
    assert bm.text(bm.get_path(params, "containerNames")) == "appContainers"
    assert bm.text(bm.get_path(params, "deploymentContainerName")) == "deploymentContainerName"
    containers = module("storage.bicep").resources_of("Microsoft.Storage/storageAccounts/blobServices/containers")
    loop = [c for c in containers if c.loop]
    assert loop and all(c.value("properties", "publicAccess") == "None" for c in containers)
    loop_source = bm.text(loop[0].body.parent)
    assert "union(containerNames, [deploymentContainerName])" in loop_source
    # the deployment container is the one the Function App deploys from
    site = one(module("function-app.bicep"), "Microsoft.Web/sites")
    value = bm.text(site.get("properties", "functionAppConfig", "deployment", "storage", "value"))
    assert "${deploymentContainerName}" in value


def test_uploads_are_deleted_by_a_lifecycle_rule_after_the_retention_days():
    policy = one(module("storage.bicep"), "Microsoft.Storage/storageAccounts/managementPolicies")
    rules = policy.get("properties", "policy", "rules")
    rule = bm.object_props(rules.named_children[0])
    definition = rule["definition"]
    assert bm.literal(bm.get_path(definition, "filters", "prefixMatch")) == ["uploads/"]
    days = bm.get_path(definition, "actions", "baseBlob", "delete", "daysAfterModificationGreaterThan")
    assert bm.text(days) == "uploadRetentionDays"
    # the same value the app is told (UPLOAD_RETENTION_DAYS), from one parameter
    main = bm.load(bm.MAIN)
    assert bm.text(bm.get_path(main.module("storage").get("params"), "uploadRetentionDays")) == "uploadRetentionDays"
    assert bm.text(app_settings_from_main()["UPLOAD_RETENTION_DAYS"]) == "string(uploadRetentionDays)"
    assert main.param_default("uploadRetentionDays") == 1


def test_durable_task_hub_matches_host_json():
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    hub = host["extensions"]["durableTask"]["hubName"]
    main = bm.load(bm.MAIN)
    match = re.fullmatch(r"%(\w+)%", hub)
    if match:  # host.json reads the hub name from an app setting: the template must set it
        assert match.group(1) in template_app_settings()
    else:
        assert main.param_default("taskHubName") == hub
    assert bm.text(bm.get_path(main.module("storage").get("params"), "taskHubName")) == "taskHubName"
    storage = module("storage.bicep")
    tables = {bm.text(t.get("name")) for t in storage.resources_of("Microsoft.Storage/storageAccounts/tableServices/tables")}
    assert {"'${taskHubName}History'", "'${taskHubName}Instances'"} <= tables
    queues = {bm.text(q.get("name")) for q in storage.resources_of("Microsoft.Storage/storageAccounts/queueServices/queues")}
    assert "'${hub}-workitems'" in queues


def test_event_grid_feeds_the_batch_in_blob_trigger():
    topic = one(module("event-grid.bicep"), "Microsoft.EventGrid/systemTopics")
    assert topic.value("properties", "topicType") == "Microsoft.Storage.StorageAccounts"
    sub_file = module("blob-trigger-subscription.bicep")
    sub = one(sub_file, "Microsoft.EventGrid/systemTopics/eventSubscriptions")
    dest = sub.get("properties", "destination")
    assert bm.literal(bm.get_path(dest, "endpointType")) == "WebHook"
    url = bm.text(bm.get_path(dest, "properties", "endpointUrl"))
    assert "/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}" in url
    key_expr = sub_file.expand(sub_file.variables["blobsExtensionKey"])
    assert re.search(r"listKeys\('\$\{functionApp\.id\}/host/default', '[\d-]+'\)\.systemKeys\.blobs_extension", key_expr)
    flt = sub.get("properties", "filter")
    assert bm.literal(bm.get_path(flt, "includedEventTypes")) == ["Microsoft.Storage.BlobCreated"]
    assert bm.text(bm.get_path(flt, "subjectBeginsWith")) == "'/blobServices/default/containers/${containerName}/'"
    main = bm.load(bm.MAIN)
    call = main.module("blobTriggerSubscription")
    assert call.condition == "(enableBlobEventSubscription)"
    assert bm.literal(bm.get_path(call.get("params"), "containerName")) == "batch-in"


def blob_triggers() -> list[dict]:
    """Blob triggers declared in functions/: function name, path, connection, source."""
    found = []
    for path in sorted((ROOT / "functions").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            name = node.name
            trigger = None
            for deco in node.decorator_list:
                if not isinstance(deco, ast.Call) or not isinstance(deco.func, ast.Attribute):
                    continue
                if deco.func.attr == "function_name" and deco.args:
                    name = ast.literal_eval(deco.args[0])
                if deco.func.attr == "blob_trigger":
                    trigger = {kw.arg: (ast.unparse(kw.value) if not isinstance(kw.value, ast.Constant)
                                        else kw.value.value) for kw in deco.keywords}
            if trigger is not None:
                found.append({"function": name, "file": path.relative_to(ROOT).as_posix(), **trigger})
    return found


def test_the_event_grid_subscription_targets_the_apps_batch_trigger():
    triggers = [t for t in blob_triggers() if str(t.get("path", "")).startswith("batch-in/")]
    assert len(triggers) == 1, triggers  # functions/batch's batch_file_dropped, found by reading the source
    trigger = triggers[0]
    source = str(trigger.get("source", ""))
    assert "EVENT_GRID" in source or source == "EventGrid", f"{trigger['file']}: Flex needs source=EventGrid"
    main = bm.load(bm.MAIN)
    assert main.param_default("batchTriggerFunctionName") == trigger["function"]
    connection = trigger.get("connection") or "AzureWebJobsStorage"
    settings = template_app_settings()
    assert f"{connection}__blobServiceUri" in settings or f"{connection}__accountName" in settings


def test_postgres_is_entra_only_with_vector_and_trgm():
    pg = module("postgres.bicep")
    server = one(pg, "Microsoft.DBforPostgreSQL/flexibleServers")
    auth = server.value("properties", "authConfig")
    assert auth["passwordAuth"] == "Disabled"
    assert auth["activeDirectoryAuth"] == "Enabled"
    assert server.get("properties", "administratorLoginPassword") is None
    assert server.get("properties", "administratorLogin") is None
    ext = one(pg, "Microsoft.DBforPostgreSQL/flexibleServers/configurations")
    assert ext.value("name") == "azure.extensions"
    assert set(ext.value("properties", "value").upper().split(",")) >= {"VECTOR", "PG_TRGM"}
    admins = one(pg, "Microsoft.DBforPostgreSQL/flexibleServers/administrators")
    assert admins.loop and "@batchSize(1)" in admins.decorators
    # the application database is the one named by the parameter, handed to the app as POSTGRES_DATABASE
    database = one(pg, "Microsoft.DBforPostgreSQL/flexibleServers/databases")
    assert bm.text(database.get("name")) == "databaseName" and "databaseName" in pg.params
    assert bm.text(pg.outputs["databaseName"]) == f"{database.symbol}.name"
    # the app identity is an administrator, by the same name the app signs in with (POSTGRES_USER)
    main = bm.load(bm.MAIN)
    admin_arg = bm.text(bm.get_path(main.module("postgres").get("params"), "administrators"))
    assert "principalId: identity.outputs.principalId" in admin_arg
    assert "principalName: identity.outputs.name" in admin_arg
    assert "principalType: 'ServicePrincipal'" in admin_arg
    assert bm.text(app_settings_from_main()["POSTGRES_USER"]) == "identity.outputs.name"
    assert bm.text(app_settings_from_main()["POSTGRES_DATABASE"]) == "postgres.outputs.databaseName"


def test_cognitive_accounts_have_no_local_auth_and_a_custom_subdomain():
    for name in ("openai.bicep", "speech.bicep"):
        account = one(module(name), "Microsoft.CognitiveServices/accounts")
        assert account.value("properties", "disableLocalAuth") is True, name
        assert account.get("properties", "customSubDomainName") is not None, name
    assert one(module("speech.bicep"), "Microsoft.CognitiveServices/accounts").value("kind") == "SpeechServices"
    openai = module("openai.bicep")
    kind = openai.params["kind"]
    assert "@allowed" in " ".join(kind[2]) and "'AIServices'" in " ".join(kind[2]) and "'OpenAI'" in " ".join(kind[2])


def test_openai_has_chat_and_image_deployments_from_parameters():
    openai = module("openai.bicep")
    deployments = openai.resources_of("Microsoft.CognitiveServices/accounts/deployments")
    assert {d.symbol for d in deployments} == {"chat", "image"}
    for d in deployments:
        assert d.value("properties", "model", "format") == "OpenAI"
        model = bm.text(d.get("properties", "model", "name"))
        version = bm.text(d.get("properties", "model", "version"))
        capacity = bm.text(d.get("sku", "capacity"))
        assert model.endswith("Deployment.model") and version.endswith("Deployment.version")
        assert capacity.endswith("Deployment.capacity")
    main = bm.load(bm.MAIN)
    assert main.param_default("chatModelName") == "gpt-4.1"
    # a current gpt-image model by default (gpt-image-1 is retired on the OpenAI API), a parameter
    assert main.param_default("imageModelName") == "gpt-image-1.5"
    assert main.param_default("imageModelFamily") == "gpt-image"
    for param in ("chatModelVersion", "imageModelVersion", "chatDeploymentCapacity", "imageDeploymentCapacity"):
        assert param in main.params
    params = main.module("openAi").get("params")
    assert bm.text(bm.get_path(params, "chatDeployment", "model")) == "chatModelName"
    assert bm.text(bm.get_path(params, "imageDeployment", "version")) == "imageModelVersion"
    # deployment names stay settings: a parameter each (default: the model's name), handed to the app
    for kind in ("chat", "image"):
        assert main.param_default(f"{kind}DeploymentName") == ""
        name = bm.text(bm.get_path(params, f"{kind}Deployment", "name"))
        assert name == f"empty({kind}DeploymentName) ? {kind}ModelName : {kind}DeploymentName", name
        setting = f"AZURE_OPENAI_{kind.upper()}_DEPLOYMENT"
        assert bm.text(app_settings_from_main()[setting]) == f"openAi.outputs.{kind}DeploymentName"
    assert bm.text(openai.outputs["imageDeploymentName"]) == "image.name"


def test_static_web_app_is_linked_to_the_function_app():
    swa = module("static-web-app.bicep")
    site = one(swa, "Microsoft.Web/staticSites")
    assert site.value("sku", "name") == "Standard"  # linked backends need Standard
    assert "'azd-service-name': 'web'" in bm.text(site.get("tags"))
    backend = one(swa, "Microsoft.Web/staticSites/linkedBackends")
    assert bm.text(backend.get("properties", "backendResourceId")) == "backendResourceId"
    main = bm.load(bm.MAIN)
    assert bm.text(bm.get_path(main.module("web").get("params"), "backendResourceId")) == "api.outputs.id"


def test_application_insights_uses_entra_auth():
    appi = one(module("monitoring.bicep"), "Microsoft.Insights/components")
    assert appi.value("properties", "DisableLocalAuth") is True
    settings = template_app_settings()
    auth = bm.text(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"])
    assert "Authorization=AAD" in auth and "ClientId=${identityClientId}" in auth


def test_no_keys_are_read_anywhere_except_the_blob_extension_webhook():
    for bicep in bm.all_files():
        source = bicep.path.read_text(encoding="utf-8")
        for match in re.finditer(r"listKeys\(|\.listKeys\(|listConnectionStrings|listAccountSas|listServiceSas", source):
            assert bicep.path.name == "blob-trigger-subscription.bicep", f"{bicep.name}: {match.group(0)}"
        assert not re.search(r"(?i)AccountKey=|administratorLoginPassword|@secure\(\)", source), bicep.name


# ---------------------------------------------------------------------------------------------------
# Role assignments


def role_assignments() -> list[tuple[bm.BicepFile, bm.Declaration]]:
    return [(f, r) for f, r in bm.all_resources() if r.type == "Microsoft.Authorization/roleAssignments"]


def test_each_required_role_is_assigned_to_the_app_identity_on_the_right_resource():
    seen = {}
    for bicep, ra in role_assignments():
        props = ra.get("properties")
        role_expr = bicep.expand(bm.get_path(props, "roleDefinitionId"))
        guids = GUID.findall(role_expr)
        assert len(guids) == 1, f"{bicep.name}:{ra.line}: roleDefinitionId {role_expr!r}"
        assert "subscriptionResourceId('Microsoft.Authorization/roleDefinitions'" in role_expr
        principal = bm.text(bm.get_path(props, "principalId"))
        if principal != "principalId":
            continue  # the optional deployer assignments
        assert bm.literal(bm.get_path(props, "principalType")) == "ServicePrincipal", f"{bicep.name}:{ra.line}"
        scope = bm.text(ra.get("scope"))
        target = bicep.resource(scope)
        assert target is not None and target.existing, f"{bicep.name}:{ra.line}: scope {scope!r} is not a resource"
        seen.setdefault(guids[0], []).append((target.type, target.symbol))
    for guid, (role, scope_type) in ROLES.items():
        assert guid in seen, f"{role} ({guid}) is not assigned to the app identity"
        assert all(t == scope_type for t, _ in seen[guid]), f"{role} scoped to {seen[guid]}"
    # OpenAI User on the OpenAI account, Speech User on the Speech account (both CognitiveServices)
    assert seen["5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"][0][1] == "openAi"
    assert seen["f2dc8367-1007-4938-bd23-fe263f013447"][0][1] == "speech"
    rbac = module("rbac.bicep")
    assert bm.text(bm.get_path(rbac.resource("openAi").body, "name")) == "openAiAccountName"
    assert bm.text(bm.get_path(rbac.resource("speech").body, "name")) == "speechAccountName"


def test_role_assignment_names_are_guid_of_scope_principal_and_role():
    assignments = role_assignments()
    assert len(assignments) >= len(ROLES)
    for bicep, ra in assignments:
        name = bm.text(ra.get("name"))
        scope = bm.text(ra.get("scope"))
        principal = bm.text(ra.get("properties", "principalId"))
        role = bm.text(ra.get("properties", "roleDefinitionId"))
        expected = f"guid({scope}.id, {principal}, {role})"
        assert name == expected, f"{bicep.name}:{ra.line}: name {name!r}, expected {expected!r}"


def test_rbac_module_is_wired_to_the_app_identity():
    main = bm.load(bm.MAIN)
    params = main.module("rbac").get("params")
    assert bm.text(bm.get_path(params, "principalId")) == "identity.outputs.principalId"
    # the Function App starts only after its storage roles exist
    assert "rbac" in bm.text(main.module("api").get("dependsOn"))


# ---------------------------------------------------------------------------------------------------
# Settings: the code and the template, both directions


def code_settings() -> dict[str, str]:
    """Every environment variable the app code reads → where (file:line)."""
    readers = {"_env", "_int", "_float", "_bool", "_choice"}
    found: dict[str, str] = {}
    files = [ROOT / "function_app.py", *sorted((ROOT / "shared").rglob("*.py")),
             *sorted((ROOT / "functions").rglob("*.py"))]
    for path in files:
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(source)):
            name = None
            if isinstance(node, ast.Call):
                func = node.func
                fname = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
                if (fname in readers and isinstance(func, ast.Name)) or (
                        fname == "getenv" and owner == "os") or (fname == "get" and owner.endswith("environ")):
                    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                        name = node.args[0].value
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
                if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                    name = node.slice.value
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for ref in re.findall(r"%(\w+)%", node.value):  # binding expressions read app settings
                    found.setdefault(ref, f"{where}:{node.lineno}")
            if name:
                found.setdefault(name, f"{where}:{node.lineno}")
    return found


def app_settings_from_main() -> dict[str, object]:
    main = bm.load(bm.MAIN)
    return bm.object_props(bm.get_path(main.module("api").get("params"), "appSettings"))


def module_app_settings() -> dict[str, object]:
    """Settings the function-app module adds itself: properties = union(appSettings, { ... })."""
    app = module("function-app.bicep")
    config = [r for r in app.resources_of("Microsoft.Web/sites/config") if r.value("name") == "appsettings"]
    assert len(config) == 1
    props = config[0].get("properties")
    assert props.type == "call_expression" and bm.text(props.child_by_field_name("function")) == "union"
    args = props.child_by_field_name("arguments").named_children
    assert bm.text(args[0]) == "appSettings", "the module must merge the appSettings parameter"
    settings: dict[str, object] = {}
    for arg in args[1:]:
        settings.update(bm.object_props(arg))
    return settings


def template_app_settings() -> dict[str, object]:
    """Every app setting the templates give the Function App → its value node."""
    return {**module_app_settings(), **app_settings_from_main()}


def test_the_code_reading_scanner_finds_what_config_reads():
    found = code_settings()
    # names that are certainly read by shared/core/config.py; if the scanner missed these it would miss others
    assert {"POSTGRES_HOST", "SAS_TTL_MINUTES", "AzureWebJobsStorage__accountName", "AZURE_CLIENT_ID"} <= set(found)


def test_every_setting_the_code_reads_is_provided_or_local_only():
    settings = template_app_settings()
    found = code_settings()
    missing = {name: where for name, where in found.items()
               if name not in settings and name not in LOCAL_ONLY and not PLATFORM_SETTING.match(name)}
    assert not missing, ("settings the code reads but the template does not set (add them to main.bicep "
                         f"appSettings or to LOCAL_ONLY with a reason): {missing}")


def test_local_only_settings_are_not_set_in_azure_and_are_still_read():
    settings = template_app_settings()
    found = code_settings()
    assert not (set(LOCAL_ONLY) & set(settings)), "a local-only setting is set in Azure"
    stale = set(LOCAL_ONLY) - set(found)
    assert not stale, f"LOCAL_ONLY lists settings the code no longer reads: {sorted(stale)}"


def test_every_app_setting_the_template_sets_is_read_or_a_host_setting():
    found = code_settings()
    unread = [name for name in template_app_settings() if name not in found and not HOST_SETTING.match(name)]
    assert not unread, f"app settings nobody reads: {sorted(unread)}"


def test_keyless_host_storage_settings():
    settings = template_app_settings()
    for suffix in ("accountName", "credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"):
        assert f"AzureWebJobsStorage__{suffix}" in settings
    values = module_app_settings()
    assert bm.literal(values["AzureWebJobsStorage__credential"]) == "managedidentity"
    assert bm.text(values["AZURE_CLIENT_ID"]) == "identityClientId"
    assert "AzureWebJobsStorage" not in settings  # no connection string
    assert not [k for k in settings if k.startswith("FUNCTIONS_")], "Flex sets the runtime in functionAppConfig"


def test_provider_settings_select_azure_openai():
    settings = app_settings_from_main()
    assert bm.literal(settings["PROMPT_PROVIDER"]) == "azure_openai"
    assert bm.literal(settings["IMAGE_PROVIDER"]) == "azure_openai"
    assert bm.text(settings["AZURE_OPENAI_ENDPOINT"]) == "openAi.outputs.endpoint"
    assert bm.text(settings["SPEECH_RESOURCE_ID"]) == "speech.outputs.id"
    from shared.core.config import Settings

    # the choices the template can make are ones the code accepts
    main = bm.load(bm.MAIN)
    assert main.param_default("imageModelFamily") == Settings().image_model_family
    assert main.param_default("embeddingPrecision") == Settings().embedding_precision
    assert main.param_default("sasTtlMinutes") <= 15


@pytest.mark.parametrize("setting, param", [
    ("GENERATIONS_PER_HOUR", "generationsPerHour"), ("IMAGES_PER_DAY", "imagesPerDay"),
    ("IMAGE_MODEL_CONCURRENCY", "imageModelConcurrency"), ("IMAGE_MODEL_LEASE_SECONDS", "imageModelLeaseSeconds"),
    ("IMAGE_REFERENCE_COUNT", "imageReferenceCount"),
])
def test_cost_limits_are_parameters_with_the_codes_defaults(setting, param):
    """Per-user quotas and the image model's concurrency cap reach Azure as settings, tunable per environment."""
    from shared.core.config import Settings

    if setting not in code_settings():
        pytest.skip(f"{setting} is not read by the code yet")
    assert bm.text(app_settings_from_main()[setting]) == f"string({param})"
    assert bm.load(bm.MAIN).param_default(param) == getattr(Settings(), setting.lower())


def test_literal_setting_values_parse_as_the_code_expects(monkeypatch):
    """Literal values in main.bicep go through Settings.from_env without errors and mean what they say."""
    from shared.core import config

    literals = {k: bm.literal(v) for k, v in app_settings_from_main().items() if v.type == "string"
                and bm.string_value(v) is not None}
    assert "REVIEW_TIMEOUT_OUTCOME" in literals
    read = code_settings()
    for key in list(config.os.environ):
        if key in read:
            monkeypatch.delenv(key, raising=False)
    for key, value in literals.items():
        monkeypatch.setenv(key, value)
    settings = config.Settings.from_env()
    assert settings.prompt_provider == "azure_openai"
    assert settings.batch_max_lines == int(literals["BATCH_MAX_LINES"])
    assert settings.review_timeout_outcome == literals["REVIEW_TIMEOUT_OUTCOME"]


# ---------------------------------------------------------------------------------------------------
# azure.yaml and workflows


def test_azure_yaml_names_the_services_and_the_infra():
    doc = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert doc["infra"]["path"] == "infra/bicep" and doc["infra"]["module"] == "main"
    api, web = doc["services"]["api"], doc["services"]["web"]
    assert api["host"] == "function" and api["language"] == "python" and api["project"] in (".", "./")
    assert web["host"] == "staticwebapp" and web["project"].rstrip("/") in ("./static-site", "static-site")
    assert "language" not in web and web["dist"] == "."  # no build step: the folder is the site
    assert (ROOT / "static-site" / "index.html").is_file()
    # azd finds each service's resource by its azd-service-name tag
    assert "'azd-service-name': 'api'" in (MODULES / "function-app.bicep").read_text(encoding="utf-8")
    assert "'azd-service-name': 'web'" in (MODULES / "static-web-app.bicep").read_text(encoding="utf-8")
    hooks = [*doc.get("hooks", {}).items(), *api.get("hooks", {}).items()]
    assert {"prepackage", "postdeploy"} <= {name for name, _ in hooks}
    for _, hook in hooks:
        script = ROOT / hook["posix"]["run"]
        assert script.is_file() and script.stat().st_mode & 0o111, script


def test_the_deployed_package_excludes_dev_files_but_ships_the_model_folder():
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".funcignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for path in ("infra", "tests", "devhost", ".venv", ".data", "static-site", "local.settings.json"):
        assert path in ignored, f".funcignore should exclude {path}"
    assert "models" not in ignored  # EMBEDDING_MODEL_DIR=/home/site/wwwroot/models/koclip ships in the package
    main = bm.load(bm.MAIN)
    assert main.param_default("embeddingModelDir") == "/home/site/wwwroot/models/koclip"
    assert "models/koclip" in (ROOT / "infra" / "scripts" / "prepackage.sh").read_text(encoding="utf-8")


def workflow(name: str) -> tuple[str, dict]:
    path = ROOT / ".github" / "workflows" / name
    source = path.read_text(encoding="utf-8")
    return source, yaml.safe_load(source)


def test_ci_runs_the_readme_test_command():
    source, doc = workflow("ci.yml")
    runs = [step.get("run", "") for job in doc["jobs"].values() for step in job["steps"]]
    assert any(re.search(r"(^|\s)scripts/test\.sh(\s|$)", run) for run in runs), runs
    assert "scripts/test.sh" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_deploy_uses_azd_with_oidc_and_no_stored_secrets():
    source, doc = workflow("deploy.yml")
    assert doc["permissions"]["id-token"] == "write"
    assert "secrets." not in source, "deploy.yml must not read stored secrets (OIDC federated credentials)"
    assert "AZURE_CREDENTIALS" not in source and "client-secret" not in source
    steps = [step for job in doc["jobs"].values() for step in job["steps"]]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "azd auth login" in runs and "--federated-credential-provider" in runs
    assert "azd provision" in runs or "azd up" in runs
    assert "azd deploy" in runs or "azd up" in runs
    env = json.dumps(doc.get("env", {})) + json.dumps([job.get("env", {}) for job in doc["jobs"].values()])
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
        assert f"vars.{var}" in env, f"{var} should come from repository variables"


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_workflows_pin_actions_to_versions(name):
    _, doc = workflow(name)
    for job in doc["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert "@" in step["uses"], step["uses"]


def test_infra_scripts_are_posix_sh():
    for script in sorted((ROOT / "infra" / "scripts").glob("*.sh")):
        first = script.read_text(encoding="utf-8").splitlines()[0]
        assert first == "#!/bin/sh", f"{script.name}: azd runs hooks with sh"
        assert "set -eu" in script.read_text(encoding="utf-8")


def test_outputs_named_like_settings_carry_the_app_setting_values():
    """`azd env get-values` gives operators the same values the app gets (for the ingest and tools)."""
    main = bm.load(bm.MAIN)
    settings = template_app_settings()
    read = code_settings()
    shared = [name for name in main.outputs if name in read]
    assert {"POSTGRES_HOST", "AZURE_OPENAI_ENDPOINT", "AzureWebJobsStorage__accountName"} <= set(shared)
    for name in shared:
        assert name in settings, f"output {name} is a setting the app is not given"
        if name in app_settings_from_main():
            assert bm.text(main.outputs[name]) == bm.text(settings[name]), name
    assert "POSTGRES_USER" not in main.outputs  # operators sign in as themselves, not as the app


def test_local_settings_example_names_only_real_settings():
    doc = json.loads((ROOT / "local.settings.example.json").read_text(encoding="utf-8"))
    read = code_settings()
    unknown = [k for k in doc["Values"] if k not in read and not HOST_SETTING.match(k)]
    assert not unknown, f"local.settings.example.json names settings nobody reads: {unknown}"

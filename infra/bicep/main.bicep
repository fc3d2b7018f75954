// Korean webtoon background generator: everything `azd up` provisions.
//
//   Function App (Flex Consumption, Python 3.11) ── user-assigned managed identity ──┐
//     ├─ Storage (no shared key): app containers, deployment package, Durable task hub, Event Grid
//     ├─ PostgreSQL Flexible Server (Entra only) + pgvector / pg_trgm
//     ├─ Azure OpenAI (chat + image deployments) and Azure Speech (no local auth)
//     └─ Application Insights (Entra auth) + Log Analytics
//   Static Web Apps (the site, sign-in for /api/*) with the Function App as its linked backend; the
//   Function App answers only requests the site forwards (modules/api-access.bicep)
//
// Keyless throughout: the app reaches every service with its managed identity through the role
// assignments in modules/rbac.bicep. The app settings below are the contract with shared/core/config.py
// (tests/infra/test_template_contract.py checks both directions).

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used in resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for the resources (one that offers Flex Consumption, e.g. koreacentral, eastus2).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Region for Azure OpenAI: it must offer both the chat and the image model.')
@metadata({
  azd: {
    type: 'location'
  }
})
param openAiLocation string = 'eastus2'

@description('Region for Azure Speech (SPEECH_REGION); defaults to the main region.')
param speechLocation string = ''

@description('Region for Static Web Apps (offered in westus2, centralus, eastus2, westeurope, eastasia).')
@allowed([
  'westus2'
  'centralus'
  'eastus2'
  'westeurope'
  'eastasia'
])
param staticWebAppLocation string = 'eastasia'

@description('Sign-in providers of the site, comma-separated: aad (Microsoft Entra ID) and/or github. Static Web Apps pre-configured providers (no app registration, no secret); the others are blocked by staticwebapp.config.json, which infra/scripts/site_auth.py writes from this value (AUTH_PROVIDERS) at deploy.')
param authProviders string = 'aad'

// ---- Function App ----
@description('Memory per Function App instance in MB (KoCLIP int8 towers + image work need at least 2048).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most Function App instances (each holds up to POSTGRES_POOL_MAX database connections).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Durable Functions task hub name: must equal host.json extensions.durableTask.hubName.')
param taskHubName string = 'WebtoonHub'

@description('Name of the batch-in blob-triggered function (Event Grid source).')
param batchTriggerFunctionName string = 'batch_file_dropped'

@description('Create the Event Grid subscription of the batch-in trigger. Needs the app code deployed first: infra/scripts/postdeploy.sh turns it on after the first deploy.')
param enableBlobEventSubscription bool = false

// ---- Azure OpenAI ----
@description('Account kind for Azure OpenAI.')
@allowed([
  'AIServices'
  'OpenAI'
])
param openAiKind string = 'AIServices'

@description('Chat model (must accept image input).')
param chatModelName string = 'gpt-4.1'

@description('Chat model version.')
param chatModelVersion string = '2025-04-14'

@description('Chat deployment SKU.')
param chatDeploymentSku string = 'GlobalStandard'

@description('Chat deployment capacity (thousands of tokens per minute).')
param chatDeploymentCapacity int = 50

@description('Chat deployment name (AZURE_OPENAI_CHAT_DEPLOYMENT); empty: the model name.')
param chatDeploymentName string = ''

@description('Image model: a current gpt-image model (edits with several input images, more sizes); dall-e-3 where a deployment still has it. docs/API.md "Models" lists what each family can make.')
param imageModelName string = 'gpt-image-1.5'

@description('Image model version.')
param imageModelVersion string = '2025-12-16'

@description('Image deployment name (AZURE_OPENAI_IMAGE_DEPLOYMENT); empty: the model name.')
param imageDeploymentName string = ''

@description('Image deployment SKU.')
param imageDeploymentSku string = 'GlobalStandard'

@description('Image deployment capacity.')
param imageDeploymentCapacity int = 1

@description('IMAGE_MODEL_FAMILY: what the image model makes and takes (shared/core/catalog.py IMAGE_MODEL_FAMILIES; docs/API.md "Models"): gpt-image for gpt-image-1/-1-mini/-1.5, gpt-image-2, or dall-e-3.')
@allowed([
  'gpt-image'
  'gpt-image-2'
  'dall-e-3'
])
param imageModelFamily string = 'gpt-image'

@description('IMAGE_REFERENCE_COUNT: reference images the image model gets beside the photo (edits).')
@minValue(0)
@maxValue(15)
param imageReferenceCount int = 3

@description('IMAGE_QUALITY: low, medium or high (gpt-image); standard or hd (dall-e-3).')
param imageQuality string = 'medium'

@description('AZURE_OPENAI_API_VERSION used by the app.')
param openAiApiVersion string = '2025-04-01-preview'

// ---- Speech ----
@description('Azure Speech pricing tier.')
@allowed([
  'F0'
  'S0'
])
param speechSkuName string = 'S0'

// ---- PostgreSQL ----
@description('PostgreSQL compute SKU. B2s allows ~400 connections (B1ms only ~35, too few for 40 instances).')
param postgresSkuName string = 'Standard_B2s'

@description('PostgreSQL compute tier.')
param postgresSkuTier string = 'Burstable'

@description('PostgreSQL major version.')
param postgresVersion string = '16'

@description('POSTGRES_DATABASE.')
param postgresDatabaseName string = 'webtoon'

@description('An operator IP allowed through the PostgreSQL firewall for the reference ingest; empty for none.')
param postgresClientIpAddress string = ''

@description('POSTGRES_POOL_MAX: connections per instance.')
param postgresPoolMax int = 2

// ---- App behaviour ----
@description('EMBEDDING_MODEL_DIR: the exported KoCLIP model, shipped in the package under models/koclip (infra/scripts/prepackage.sh).')
param embeddingModelDir string = '/home/site/wwwroot/models/koclip'

@description('EMBEDDING_PRECISION.')
@allowed([
  'int8'
  'fp32'
])
param embeddingPrecision string = 'int8'

@description('SAS_TTL_MINUTES: lifetime of read-only links (at most 15).')
@minValue(1)
@maxValue(15)
param sasTtlMinutes int = 15

@description('UPLOAD_RETENTION_DAYS: uploaded photos are deleted after this many days (lifecycle rule).')
@minValue(1)
param uploadRetentionDays int = 1

// ---- Cost limits (0: no limit) ----
@description('GENERATIONS_PER_HOUR: generations one user may start per rolling hour (batch lines count for their owner).')
@minValue(0)
param generationsPerHour int = 20

@description('IMAGES_PER_DAY: images one user may have made per rolling day.')
@minValue(0)
param imagesPerDay int = 60

@description('IMAGE_MODEL_CONCURRENCY: generations on the paid image model at once, for everyone.')
@minValue(0)
param imageModelConcurrency int = 8

@description('IMAGE_MODEL_LEASE_SECONDS: after this long a stuck generation frees its place in IMAGE_MODEL_CONCURRENCY.')
@minValue(60)
param imageModelLeaseSeconds int = 1800

@description('BATCH_OWNER: the user (Static Web Apps userId) who owns a shot list dropped into batch-in whose blob names no uploader; empty: LOCAL_USER_ID.')
param batchOwner string = ''

@description('Grant the deployer data access (blob uploads for the ingest, OpenAI) and make them a PostgreSQL Entra administrator.')
param grantDeployerAccess bool = true

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
// shared/storage/blobs.py CONTAINERS
var appContainers = [
  'uploads'
  'outputs'
  'references'
  'batch-in'
  'batch-out'
]
var deployerInfo = deployer()
var deployerIsUser = contains(deployerInfo, 'userPrincipalName')
var deployerPrincipalId = grantDeployerAccess ? deployerInfo.objectId : ''

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: appContainers
    deploymentContainerName: deploymentContainerName
    uploadRetentionDays: uploadRetentionDays
    taskHubName: taskHubName
  }
}

module eventGrid 'modules/event-grid.bicep' = {
  name: 'event-grid'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountId: storage.outputs.id
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    name: 'psql-${resourceToken}'
    location: location
    tags: tags
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    version: postgresVersion
    databaseName: postgresDatabaseName
    clientIpAddress: postgresClientIpAddress
    administrators: concat(
      [
        {
          principalId: identity.outputs.principalId
          principalName: identity.outputs.name
          principalType: 'ServicePrincipal'
        }
      ],
      grantDeployerAccess && deployerIsUser
        ? [
            {
              principalId: deployerInfo.objectId
              principalName: deployerInfo.?userPrincipalName ?? ''
              principalType: 'User'
            }
          ]
        : []
    )
  }
}

module openAi 'modules/openai.bicep' = {
  name: 'openai'
  scope: rg
  params: {
    name: 'aoai-${resourceToken}'
    location: openAiLocation
    tags: tags
    kind: openAiKind
    chatDeployment: {
      name: empty(chatDeploymentName) ? chatModelName : chatDeploymentName
      model: chatModelName
      version: chatModelVersion
      sku: chatDeploymentSku
      capacity: chatDeploymentCapacity
    }
    imageDeployment: {
      name: empty(imageDeploymentName) ? imageModelName : imageDeploymentName
      model: imageModelName
      version: imageModelVersion
      sku: imageDeploymentSku
      capacity: imageDeploymentCapacity
    }
  }
}

module speech 'modules/speech.bicep' = {
  name: 'speech'
  scope: rg
  params: {
    name: 'spch-${resourceToken}'
    location: empty(speechLocation) ? location : speechLocation
    tags: tags
    skuName: speechSkuName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    openAiAccountName: openAi.outputs.name
    speechAccountName: speech.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerIsUser ? 'User' : 'ServicePrincipal'
  }
}

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    // The app's settings (shared/core/config.py). Storage, identity and telemetry settings are added by
    // the module (AzureWebJobsStorage__*, AZURE_CLIENT_ID, APPLICATIONINSIGHTS_*).
    appSettings: {
      POSTGRES_HOST: postgres.outputs.host
      POSTGRES_DATABASE: postgres.outputs.databaseName
      POSTGRES_USER: identity.outputs.name
      POSTGRES_POOL_MAX: string(postgresPoolMax)
      PROMPT_PROVIDER: 'azure_openai'
      IMAGE_PROVIDER: 'azure_openai'
      AZURE_OPENAI_ENDPOINT: openAi.outputs.endpoint
      AZURE_OPENAI_API_VERSION: openAiApiVersion
      AZURE_OPENAI_CHAT_DEPLOYMENT: openAi.outputs.chatDeploymentName
      AZURE_OPENAI_IMAGE_DEPLOYMENT: openAi.outputs.imageDeploymentName
      IMAGE_MODEL_FAMILY: imageModelFamily
      IMAGE_QUALITY: imageQuality
      IMAGE_REFERENCE_COUNT: string(imageReferenceCount)
      PROVIDER_MAX_RETRIES: '4'
      PROVIDER_TIMEOUT_SECONDS: '120'
      SPEECH_REGION: speech.outputs.region
      SPEECH_RESOURCE_ID: speech.outputs.id
      SPEECH_ENDPOINT: speech.outputs.endpoint
      EMBEDDING_MODEL_DIR: embeddingModelDir
      EMBEDDING_PRECISION: embeddingPrecision
      EMBEDDING_THREADS: '0'
      SAS_TTL_MINUTES: string(sasTtlMinutes)
      UPLOAD_RETENTION_DAYS: string(uploadRetentionDays)
      UPLOAD_MAX_BYTES: '10485760'
      REVIEW_TIMEOUT_SECONDS: '900'
      REVIEW_TIMEOUT_OUTCOME: 'use_draft'
      BATCH_MAX_CONCURRENCY: '4'
      BATCH_MAX_BYTES: '5242880'
      BATCH_MAX_LINES: '1000'
      BATCH_OWNER: batchOwner
      GENERATIONS_PER_HOUR: string(generationsPerHour)
      IMAGES_PER_DAY: string(imagesPerDay)
      IMAGE_MODEL_CONCURRENCY: string(imageModelConcurrency)
      IMAGE_MODEL_LEASE_SECONDS: string(imageModelLeaseSeconds)
      PSD_WRITER: 'psd-tools' // Flex Consumption cannot install ImageMagick's library
    }
  }
  dependsOn: [
    rbac // the host starts with keyless storage: its roles must exist first
  ]
}

module web 'modules/static-web-app.bicep' = {
  name: 'web'
  scope: rg
  params: {
    name: 'stapp-${resourceToken}'
    location: staticWebAppLocation
    tags: tags
    backendResourceId: api.outputs.id
    backendLocation: api.outputs.location
  }
}

// After the site and its link: the Function App then accepts only what the site forwards.
module apiAccess 'modules/api-access.bicep' = {
  name: 'api-access'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    staticWebAppHostname: web.outputs.defaultHostname
  }
}

module blobTriggerSubscription 'modules/blob-trigger-subscription.bicep' = if (enableBlobEventSubscription) {
  name: 'blob-trigger-subscription'
  scope: rg
  params: {
    systemTopicName: eventGrid.outputs.name
    functionAppName: api.outputs.name
    functionName: batchTriggerFunctionName
    containerName: 'batch-in'
  }
}

// azd stores these in the environment (.azure/<env>/.env). Names equal to app settings let an operator
// run the KoCLIP upload, migrations and the reference ingest against Azure with `azd env get-values`.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output SERVICE_WEB_NAME string = web.outputs.name
output SERVICE_WEB_URI string = web.outputs.uri
output AUTH_PROVIDERS string = authProviders
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name
output BATCH_TRIGGER_FUNCTION_NAME string = batchTriggerFunctionName
output AzureWebJobsStorage__accountName string = storage.outputs.name
output AzureWebJobsStorage__blobServiceUri string = storage.outputs.blobEndpoint
output AzureWebJobsStorage__queueServiceUri string = storage.outputs.queueEndpoint
output POSTGRES_HOST string = postgres.outputs.host
output POSTGRES_DATABASE string = postgres.outputs.databaseName
output POSTGRES_APP_USER string = identity.outputs.name
output AZURE_OPENAI_ENDPOINT string = openAi.outputs.endpoint
output AZURE_OPENAI_API_VERSION string = openAiApiVersion
output AZURE_OPENAI_CHAT_DEPLOYMENT string = openAi.outputs.chatDeploymentName
output AZURE_OPENAI_IMAGE_DEPLOYMENT string = openAi.outputs.imageDeploymentName
output IMAGE_MODEL_FAMILY string = imageModelFamily
output SPEECH_REGION string = speech.outputs.region
output SPEECH_RESOURCE_ID string = speech.outputs.id
output SPEECH_ENDPOINT string = speech.outputs.endpoint
output EMBEDDING_PRECISION string = embeddingPrecision

// The storage account: keyless (no shared key, no public blob access, TLS 1.2), the app's containers,
// the Flex Consumption deployment container, the Durable Functions task hub (Durable on Azure Storage)
// and a lifecycle rule that deletes uploaded photos after `uploadRetentionDays`.

@description('Storage account name (3-24 lowercase letters and digits).')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the resources.')
param tags object = {}

@description('Blob containers the app uses (shared/storage/blobs.py CONTAINERS).')
param containerNames array

@description('Blob container that holds the Function App deployment package.')
param deploymentContainerName string

@description('Days after which blobs in the uploads container are deleted (UPLOAD_RETENTION_DAYS).')
param uploadRetentionDays int = 1

@description('Durable Functions task hub name (host.json extensions.durableTask.hubName).')
param taskHubName string

@description('Durable Functions partition count (host.json default: 4 control queues).')
param taskHubPartitionCount int = 4

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in union(containerNames, [deploymentContainerName]): {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

// Photos uploaded for one generation are not kept: delete them a day after they were written.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          enabled: true
          name: 'delete-uploads'
          type: 'Lifecycle'
          definition: {
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: uploadRetentionDays
                }
              }
            }
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                'uploads/'
              ]
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    containers
  ]
}

// The Durable Functions task hub on Azure Storage. The extension creates these itself on first start
// (with the identity's Queue/Table Data Contributor and Blob Data Owner roles); declaring them here
// makes the hub part of the deployment, visible and named from the same hub name as host.json.
var hub = toLower(taskHubName)

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource taskHubControlQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for i in range(0, taskHubPartitionCount): {
    parent: queueService
    name: '${hub}-control-${padLeft(i, 2, '0')}'
  }
]

resource taskHubWorkItems 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${hub}-workitems'
}

resource taskHubHistory 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: '${taskHubName}History'
}

resource taskHubInstances 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: '${taskHubName}Instances'
}

resource taskHubLeases 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: '${hub}-leases'
  properties: {
    publicAccess: 'None'
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output taskHubName string = taskHubName

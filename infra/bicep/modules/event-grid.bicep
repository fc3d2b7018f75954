// The Event Grid system topic of the storage account. Flex Consumption runs blob triggers only with the
// Event Grid source; blob-trigger-subscription.bicep subscribes the batch-in trigger to this topic.

@description('System topic name.')
param name string

@description('Azure region (the storage account\'s).')
param location string

@description('Tags applied to the resource.')
param tags object = {}

@description('Resource id of the storage account whose events the topic publishes.')
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
output id string = topic.id

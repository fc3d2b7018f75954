// Event subscription that feeds the batch-in blob trigger (source: EventGrid): BlobCreated events under
// batch-in/ are delivered to the Functions host's blob extension webhook, authenticated with the host's
// blobs_extension system key (read with listKeys at deployment time, never stored in the repo).
//
// The key and the webhook exist only once the app's code (with the blob trigger) is deployed, and Event
// Grid validates the endpoint when the subscription is created; so this module is deployed after the
// first `azd deploy` (infra/scripts/postdeploy.sh), and by every later `azd provision`.

@description('Storage system topic name.')
param systemTopicName string

@description('Function App name.')
param functionAppName string

@description('Name of the blob-triggered function (its Python function name / @function_name).')
param functionName string

@description('Container whose new blobs trigger the function.')
param containerName string = 'batch-in'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: '${containerName}-blob-trigger'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/'
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output name string = subscription.name
